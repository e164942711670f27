/**
 * `GET /api/jobs/:jobId/stream`: the live job page's server-sent events, written to the socket
 * by hand because of how many viewers one busy job can have.
 *
 * Through tRPC every viewer costs an async generator, a web-streams pipeline and a JSON encoding
 * of every batch: 200 viewers of one job at 1,000 lines/s pinned both cores and slowed the
 * agent's own ingest (benchmark B5). Here each batch is encoded once into a Buffer and written
 * to every caught-up viewer. A viewer whose socket stops draining (a stalled browser tab, a slow
 * link) is not written to, so nothing queues up for it in memory; once its socket drains it
 * catches up from the database and goes live again. Nobody waits for anybody.
 *
 * Events (`event:` name, `data:` superjson like the tRPC API): `job` (the row, on connect and on
 * every status change), `progress`, `logs` (lines, oldest first, each with its job-wide seq). A
 * reconnecting client dedupes by seq. `jobs.watch` (tRPC) carries the same events for scripts.
 */
import type { Core, JobLogLine } from "@restic-manager/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import superjson from "superjson";

const HISTORY_PAGE = 5_000;
const KEEPALIVE_MS = 15_000;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

type Caller = (req: FastifyRequest) => Promise<{ user: unknown | null }>;

/** What a viewer missed while it was catching up, replayed in order once it is done. */
type Missed = { kind: "logs"; lines: JobLogLine[] } | { kind: "frame"; data: Buffer };
/** Lines kept for a catching-up viewer; past this it reads them from the database instead. */
const MAX_MISSED_LINES = 2_000;

interface Viewer {
  jobId: string;
  res: NodeJS.WritableStream & { destroyed: boolean };
  /** Highest log seq this viewer has been sent. */
  lastSeq: number;
  /** Set while catching up from the database (first connect, or after its socket backed up). */
  missed: Missed[] | null;
  missedLines: number;
  /** Missed more than MAX_MISSED_LINES: the next catch-up round reads them. */
  overflow: boolean;
  closed: boolean;
}

const frame = (event: string, data: unknown) => Buffer.from(`event: ${event}\ndata: ${superjson.stringify(data)}\n\n`);

export class JobStreamHub {
  readonly #viewers = new Map<string, Set<Viewer>>();
  readonly #offs: (() => void)[] = [];
  readonly #keepalive: NodeJS.Timeout;
  /** Frames encoded once for every viewer, and catch-ups from the database (tests read them). */
  readonly stats = { encoded: 0, catchUps: 0 };

  constructor(private readonly core: Core) {
    const { events } = core;
    this.#offs.push(
      events.on("job.logs", ({ jobId, lines }) => this.#broadcastLogs(jobId, lines)),
      events.on("job.progress", ({ jobId, progress }) => {
        if (this.#viewers.has(jobId)) this.#broadcast(jobId, this.#encode("progress", progress));
      }),
      events.on("job.updated", ({ jobId }) => {
        if (!this.#viewers.has(jobId)) return;
        // One read per change, however many viewers.
        core.jobs.get(jobId).then(
          (job) => this.#broadcast(jobId, this.#encode("job", job)),
          () => undefined, // deleted meanwhile: nothing to show
        );
      }),
    );
    this.#keepalive = setInterval(() => {
      const ping = Buffer.from(": keepalive\n\n");
      for (const set of this.#viewers.values()) for (const v of set) if (!v.missed) this.#write(v, ping);
    }, KEEPALIVE_MS);
    this.#keepalive.unref();
  }

  close(): void {
    for (const off of this.#offs) off();
    clearInterval(this.#keepalive);
  }

  /** Follows `jobId` on `res` until the client goes away (`onClose` registers the cleanup). */
  async follow(jobId: string, res: Viewer["res"], onClose: (fn: () => void) => void): Promise<void> {
    const viewer: Viewer = { jobId, res, lastSeq: -1, missed: [], missedLines: 0, overflow: false, closed: false };
    let set = this.#viewers.get(jobId);
    if (!set) {
      set = new Set();
      this.#viewers.set(jobId, set);
    }
    set.add(viewer);
    onClose(() => {
      viewer.closed = true;
      const current = this.#viewers.get(jobId);
      current?.delete(viewer);
      if (current?.size === 0) this.#viewers.delete(jobId);
    });
    await this.#catchUp(viewer, true);
  }

  #encode(event: string, data: unknown): Buffer {
    this.stats.encoded++;
    return frame(event, data);
  }

  #broadcast(jobId: string, data: Buffer): void {
    for (const viewer of this.#viewers.get(jobId) ?? []) {
      if (!viewer.missed) this.#write(viewer, data);
      else if (viewer.missedLines >= MAX_MISSED_LINES) viewer.overflow = true;
      else {
        viewer.missed.push({ kind: "frame", data });
        viewer.missedLines++;
      }
    }
  }

  #broadcastLogs(jobId: string, lines: JobLogLine[]): void {
    const set = this.#viewers.get(jobId);
    if (!set || lines.length === 0) return;
    let shared: Buffer | null = null;
    for (const viewer of set) {
      if (viewer.missed) {
        if (viewer.missedLines + lines.length > MAX_MISSED_LINES) viewer.overflow = true;
        else {
          viewer.missed.push({ kind: "logs", lines });
          viewer.missedLines += lines.length;
        }
        continue;
      }
      const fresh = this.#fresh(viewer, lines);
      if (fresh.length === 0) continue;
      if (fresh !== lines) this.#write(viewer, this.#encode("logs", fresh));
      else {
        shared ??= this.#encode("logs", lines);
        this.#write(viewer, shared);
      }
    }
  }

  /** The lines this viewer has not been sent yet; advances its seq. */
  #fresh(viewer: Viewer, lines: JobLogLine[]): JobLogLine[] {
    const fresh = (lines[0]?.seq ?? 0) > viewer.lastSeq ? lines : lines.filter((l) => l.seq > viewer.lastSeq);
    viewer.lastSeq = Math.max(viewer.lastSeq, fresh.at(-1)?.seq ?? -1);
    return fresh;
  }

  /** Writes to a live viewer; one whose socket backs up is caught up from the database later. */
  #write(viewer: Viewer, data: Buffer): void {
    if (viewer.closed || viewer.res.destroyed) return;
    if (!viewer.res.write(data)) {
      // What is queued in the socket is its backlog; later events wait in `missed` or the database.
      viewer.missed = [];
      viewer.missedLines = 0;
      viewer.res.once("drain", () => void this.#catchUp(viewer, false));
    }
  }

  /**
   * Sends the job row and progress (on connect), then every line after the viewer's last one
   * from the database, waiting for the socket between pages. Events that arrive meanwhile are
   * kept in `missed` (up to MAX_MISSED_LINES; past that, another database round) and replayed
   * in order, synchronously with going live, so nothing slips between the two.
   */
  async #catchUp(viewer: Viewer, withJob: boolean): Promise<void> {
    if (viewer.closed) return;
    this.stats.catchUps++;
    try {
      let sendJob = withJob;
      for (;;) {
        if (sendJob) {
          const job = await this.core.jobs.get(viewer.jobId);
          if (!(await this.#send(viewer, frame("job", job)))) return;
          if (job.progress && !(await this.#send(viewer, frame("progress", job.progress)))) return;
        }
        viewer.overflow = false;
        for (;;) {
          const page = await this.core.jobs.logs(viewer.jobId, viewer.lastSeq, HISTORY_PAGE);
          if (page.length === 0) break;
          viewer.lastSeq = page.at(-1)?.seq ?? viewer.lastSeq;
          if (!(await this.#send(viewer, frame("logs", page)))) return;
          if (page.length < HISTORY_PAGE) break;
        }
        if (!viewer.overflow) break;
        // Missed too much while reading: drop it, read the row and lines again from the database.
        viewer.missed = [];
        viewer.missedLines = 0;
        sendJob = true;
      }
      const missed = viewer.missed ?? [];
      viewer.missed = null;
      viewer.missedLines = 0;
      for (const item of missed) {
        if (item.kind === "frame") this.#write(viewer, item.data);
        else {
          const fresh = this.#fresh(viewer, item.lines);
          if (fresh.length > 0) this.#write(viewer, frame("logs", fresh));
        }
      }
    } catch {
      // The job was deleted, or the database is closing: end this stream.
      viewer.res.end();
    }
  }

  /** Writes one frame; waits for drain when the socket is full. False when the viewer left. */
  async #send(viewer: Viewer, data: Buffer): Promise<boolean> {
    if (viewer.closed || viewer.res.destroyed) return false;
    if (viewer.res.write(data)) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        viewer.res.off("drain", done);
        viewer.res.off("close", done);
        resolve();
      };
      viewer.res.on("drain", done);
      viewer.res.on("close", done);
    });
    return !viewer.closed && !viewer.res.destroyed;
  }
}

export function registerJobStream(app: FastifyInstance, deps: { hub: JobStreamHub; core: Core; caller: Caller }) {
  app.get<{ Params: { jobId: string } }>("/api/jobs/:jobId/stream", async (req, reply) => {
    const { jobId } = req.params;
    if (!ULID.test(jobId)) return reply.code(400).send({ error: "not a job id" });
    const { user } = await deps.caller(req);
    if (!user) return reply.code(401).send({ error: "sign in first" });
    try {
      await deps.core.jobs.get(jobId);
    } catch {
      return reply.code(404).send({ error: "No such job." });
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      "x-content-type-options": "nosniff",
      // Reverse proxies must pass events through as they come.
      "x-accel-buffering": "no",
      connection: "keep-alive",
    });
    res.write(": stream open\n\n");
    await deps.hub.follow(jobId, res, (fn) => res.once("close", fn));
  });
}
