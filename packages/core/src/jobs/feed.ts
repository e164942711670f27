/**
 * The live job feed: a job's row, its progress and its log lines (history first, then live),
 * for any number of viewers, over any transport. The live job page's server-sent events and the
 * API's `jobs.watch` subscription are thin adapters over it: each gives an `encode` (SSE frame
 * bytes, or a tRPC event whose serialisation is shared) and a sink per viewer.
 *
 * - Each batch is encoded once and written to every caught-up viewer (a serialisation per viewer
 *   does not scale to hundreds of viewers of one busy job: benchmark B5, see bench/README.md).
 * - A viewer whose sink backs up is not written to, so nothing queues for it in memory and
 *   nobody waits for it; once its sink drains it is caught up from the database.
 * - Lines carry their job-wide seq; a viewer is never sent a seq twice (catch-up and live
 *   overlap are deduped here), so a client that reconnects dedupes by seq as well.
 */
import type { JobProgress } from "@restic-manager/protocol";
import type { EventBus, JobLogLine } from "../events.js";
import type { JobQueries } from "./queries.js";

/** The feed's events by name, with their data: declared once, read by the server and the browser. */
export interface JobFeedEvents {
  /** The job row: on connect and on every status change. */
  job: Awaited<ReturnType<JobQueries["get"]>>;
  /** The latest progress report of a running job. */
  progress: JobProgress;
  /** Log lines, oldest first, each with its job-wide seq. */
  logs: JobLogLine[];
}
export type JobFeedEventType = keyof JobFeedEvents;
/** One event as a value: `{ type, data }`. */
export type JobFeedEvent = { [K in JobFeedEventType]: { type: K; data: JobFeedEvents[K] } }[JobFeedEventType];

/** Where one viewer's encoded events go. */
export interface FeedSink<C> {
  /** Takes one encoded event; false when the sink is backed up (nothing more is written until it drains). */
  write(chunk: C): boolean;
  /** Resolves once a backed-up sink can take more: true, or false when it closed meanwhile. */
  drained(): Promise<boolean>;
  /** The viewer went away. */
  readonly closed: boolean;
  /** Ends the viewer's stream (its job was deleted, or the console is closing). */
  end(): void;
}

export type FeedEncoder<C> = <K extends JobFeedEventType>(type: K, data: JobFeedEvents[K]) => C;

/** What a viewer missed while it was catching up, replayed in order once it is done. */
type Missed<C> = { kind: "logs"; lines: JobLogLine[] } | { kind: "chunk"; chunk: C };

interface Viewer<C> {
  jobId: string;
  sink: FeedSink<C>;
  /** Highest log seq this viewer has been sent. */
  lastSeq: number;
  /** Set while catching up from the database (first connect, or after its sink backed up). */
  missed: Missed<C>[] | null;
  missedLines: number;
  /** Missed more than `maxMissedLines`: the next catch-up round reads them. */
  overflow: boolean;
  left: boolean;
}

export interface JobFeedOptions {
  /** Lines per database page while catching up. */
  historyPage?: number;
  /** Lines kept for a catching-up viewer; past this it reads them from the database instead. */
  maxMissedLines?: number;
}

export class JobFeed<C> {
  readonly #viewers = new Map<string, Set<Viewer<C>>>();
  readonly #offs: (() => void)[];
  readonly #historyPage: number;
  readonly #maxMissedLines: number;
  /** Events encoded once for every viewer, and catch-ups from the database (tests read them). */
  readonly stats = { encoded: 0, catchUps: 0 };

  constructor(
    events: EventBus,
    private readonly jobs: JobQueries,
    private readonly encode: FeedEncoder<C>,
    options: JobFeedOptions = {},
  ) {
    this.#historyPage = options.historyPage ?? 5_000;
    this.#maxMissedLines = options.maxMissedLines ?? 2_000;
    this.#offs = [
      events.on("job.logs", ({ jobId, lines }) => this.#broadcastLogs(jobId, lines)),
      events.on("job.progress", ({ jobId, progress }) => {
        if (this.#viewers.has(jobId)) this.#broadcast(jobId, this.#encoded("progress", progress));
      }),
      events.on("job.updated", ({ jobId }) => {
        if (!this.#viewers.has(jobId)) return;
        // One read per change, however many viewers.
        jobs.get(jobId).then(
          (job) => this.#broadcast(jobId, this.#encoded("job", job)),
          () => undefined, // deleted meanwhile: nothing to show
        );
      }),
    ];
  }

  close(): void {
    for (const off of this.#offs) off();
    for (const set of this.#viewers.values()) for (const v of set) v.sink.end();
    this.#viewers.clear();
  }

  /** Live sinks (not catching up), for transport keepalives. */
  *liveSinks(): Iterable<FeedSink<C>> {
    for (const set of this.#viewers.values()) for (const v of set) if (!v.missed) yield v.sink;
  }

  /**
   * Follows `jobId` into `sink`: the row, its progress, every line so far, then live events.
   * Returns the function that stops it (call it when the viewer goes away).
   */
  follow(jobId: string, sink: FeedSink<C>): () => void {
    const viewer: Viewer<C> = { jobId, sink, lastSeq: -1, missed: [], missedLines: 0, overflow: false, left: false };
    let set = this.#viewers.get(jobId);
    if (!set) {
      set = new Set();
      this.#viewers.set(jobId, set);
    }
    set.add(viewer);
    void this.#catchUp(viewer, true);
    return () => {
      viewer.left = true;
      const current = this.#viewers.get(jobId);
      current?.delete(viewer);
      if (current?.size === 0) this.#viewers.delete(jobId);
    };
  }

  #encoded<K extends JobFeedEventType>(type: K, data: JobFeedEvents[K]): C {
    this.stats.encoded++;
    return this.encode(type, data);
  }

  #broadcast(jobId: string, chunk: C): void {
    for (const viewer of this.#viewers.get(jobId) ?? []) {
      if (!viewer.missed) this.#write(viewer, chunk);
      else if (viewer.missedLines >= this.#maxMissedLines) viewer.overflow = true;
      else {
        viewer.missed.push({ kind: "chunk", chunk });
        viewer.missedLines++;
      }
    }
  }

  #broadcastLogs(jobId: string, lines: JobLogLine[]): void {
    const set = this.#viewers.get(jobId);
    if (!set || lines.length === 0) return;
    let shared: C | null = null;
    for (const viewer of set) {
      if (viewer.missed) {
        if (viewer.missedLines + lines.length > this.#maxMissedLines) viewer.overflow = true;
        else {
          viewer.missed.push({ kind: "logs", lines });
          viewer.missedLines += lines.length;
        }
        continue;
      }
      const fresh = this.#fresh(viewer, lines);
      if (fresh.length === 0) continue;
      if (fresh !== lines) this.#write(viewer, this.#encoded("logs", fresh));
      else {
        shared ??= this.#encoded("logs", lines);
        this.#write(viewer, shared);
      }
    }
  }

  /** The lines this viewer has not been sent yet; advances its seq. */
  #fresh(viewer: Viewer<C>, lines: JobLogLine[]): JobLogLine[] {
    const fresh = (lines[0]?.seq ?? 0) > viewer.lastSeq ? lines : lines.filter((l) => l.seq > viewer.lastSeq);
    viewer.lastSeq = Math.max(viewer.lastSeq, fresh.at(-1)?.seq ?? -1);
    return fresh;
  }

  #gone(viewer: Viewer<C>): boolean {
    return viewer.left || viewer.sink.closed;
  }

  /** Writes to a live viewer; one whose sink backs up is caught up from the database later. */
  #write(viewer: Viewer<C>, chunk: C): void {
    if (this.#gone(viewer)) return;
    if (!viewer.sink.write(chunk)) {
      // What the sink holds is its backlog; later events wait in `missed` or the database.
      viewer.missed = [];
      viewer.missedLines = 0;
      void viewer.sink.drained().then((open) => {
        if (open) void this.#catchUp(viewer, false);
      });
    }
  }

  /** Writes one chunk during a catch-up, waiting for the sink when it is full. False when the viewer left. */
  async #send(viewer: Viewer<C>, chunk: C): Promise<boolean> {
    if (this.#gone(viewer)) return false;
    if (viewer.sink.write(chunk)) return true;
    return (await viewer.sink.drained()) && !this.#gone(viewer);
  }

  /**
   * Sends the job row and progress (on connect), then every line after the viewer's last one
   * from the database, waiting for the sink between pages. Events that arrive meanwhile are kept
   * in `missed` (up to maxMissedLines; past that, another database round) and replayed in order,
   * synchronously with going live, so nothing slips between the two.
   */
  async #catchUp(viewer: Viewer<C>, withJob: boolean): Promise<void> {
    if (this.#gone(viewer)) return;
    this.stats.catchUps++;
    try {
      let sendJob = withJob;
      for (;;) {
        if (sendJob) {
          const job = await this.jobs.get(viewer.jobId);
          if (!(await this.#send(viewer, this.encode("job", job)))) return;
          if (job.progress && !(await this.#send(viewer, this.encode("progress", job.progress)))) return;
        }
        viewer.overflow = false;
        for (;;) {
          const page = await this.jobs.logs(viewer.jobId, viewer.lastSeq, this.#historyPage);
          if (page.length === 0) break;
          viewer.lastSeq = page.at(-1)?.seq ?? viewer.lastSeq;
          if (!(await this.#send(viewer, this.encode("logs", page)))) return;
          if (page.length < this.#historyPage) break;
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
        if (item.kind === "chunk") this.#write(viewer, item.chunk);
        else {
          const fresh = this.#fresh(viewer, item.lines);
          if (fresh.length > 0) this.#write(viewer, this.encode("logs", fresh));
        }
      }
    } catch {
      // The job was deleted, or the database is closing: end this stream.
      viewer.sink.end();
    }
  }
}

/**
 * A sink for a pull-based consumer (an async generator, e.g. a tRPC subscription): events wait
 * in a queue until `events()` yields them; past `highWater` queued events the sink reports itself
 * backed up, and it drains once the consumer has taken everything.
 */
export class QueueSink<T> implements FeedSink<T> {
  readonly #items: T[] = [];
  readonly #drainWaiters: ((open: boolean) => void)[] = [];
  #wake: (() => void) | null = null;
  #ended = false;

  constructor(
    private readonly highWater = 64,
    signal?: AbortSignal,
  ) {
    signal?.addEventListener("abort", () => this.end(), { once: true });
  }

  get closed(): boolean {
    return this.#ended;
  }

  write(item: T): boolean {
    if (this.#ended) return false;
    this.#items.push(item);
    this.#wake?.();
    return this.#items.length < this.highWater;
  }

  drained(): Promise<boolean> {
    if (this.#ended) return Promise.resolve(false);
    if (this.#items.length === 0) return Promise.resolve(true);
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
    for (const resolve of this.#drainWaiters.splice(0)) resolve(false);
  }

  /** Yields what was written, in order, until the sink ends. */
  async *events(): AsyncGenerator<T> {
    for (;;) {
      const next = this.#items.shift();
      if (next !== undefined) {
        if (this.#items.length === 0) for (const resolve of this.#drainWaiters.splice(0)) resolve(true);
        yield next;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = null;
    }
  }
}
