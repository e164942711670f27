/**
 * The outbox: every job event (`job.started`, `job.progress`, `log.stream`, `job.finished`)
 * leaves through here, so none is lost to a dropped connection, a server restart or an agent
 * crash.
 *
 * - Each job gets a seq counter (from 1) and an append-only spool file in the spool dir,
 *   `<jobId>.spool` (mode 0600): a header line, then one `<seq>\t<wire message>` line per event.
 *   Writes go to the file at once (a crash of the agent loses nothing the kernel has); fsync
 *   runs in batches every FSYNC_INTERVAL_MS and at once for `job.finished`.
 * - While a session is up and the job is "live" an event is also sent at once. The server
 *   answers `job.ack {jobId, seq}`, cumulative; acked events are forgotten. A job that ended and
 *   is acked to its last spooled seq has its file deleted.
 * - After every `hello.ok`, `onSession` replays each job's unacked events from its file, in seq
 *   order, with backpressure, before anything new of that job is sent and before the connection
 *   sends its first heartbeat (the connection waits for the returned promise). Events emitted
 *   meanwhile are appended to the file and picked up by the same replay, so the order holds.
 * - On agent start `loadLeftovers` reads spool files a previous process left (crash, or stopped
 *   with unacked events); they are replayed the same way and deleted once acked.
 * - Progress is not spooled: it is sent only when the job is live and dropped otherwise (without
 *   using a seq), since a stale progress report is worthless after a reconnect.
 * - Acks can stop coming on a live session: the server acknowledges only what it stored, and
 *   holds back every later event of a job after one that it failed to store (a full disk). A
 *   job whose oldest unacked event has waited RESEND_AFTER_MS is resent from there on the same
 *   session, backing off to RESEND_MAX_MS while nothing is acknowledged.
 *
 * Memory stays bounded: event bodies live on disk; per job only counters and the (seq, offset)
 * of unacked events are kept, and replay streams the file in chunks, waiting while the socket's
 * send buffer is full.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { type AgentPayload, type AgentWireMessage, createAgentMessage } from "@restic-manager/protocol";
import { type Logger, silentLogger } from "../log.js";

export type JobEventType = "job.started" | "job.progress" | "log.stream" | "job.finished";
export type JobEventBody<T extends JobEventType> = Omit<AgentPayload<T>, "jobId" | "seq">;

const SPOOL_FORMAT = "restic-manager.spool.v1";
const SPOOL_EXT = ".spool";
export const FSYNC_INTERVAL_MS = 500;
/** Replay pauses while the socket has more than this queued. */
const REPLAY_HIGH_WATER_BYTES = 4 * 1024 * 1024;
const REPLAY_CHUNK_BYTES = 256 * 1024;
/** A live job's oldest unacked event waits this long before the job's events are resent. */
export const RESEND_AFTER_MS = 3_000;
export const RESEND_MAX_MS = 30_000;
const RESEND_CHECK_MS = 1_000;

export interface OutboxOptions {
  spoolDir: string;
  /** Sends on the current session; false when there is none. */
  send: (wire: AgentWireMessage) => boolean;
  /** Bytes queued on the socket, for replay backpressure. */
  bufferedAmount?: () => number;
  log?: Logger;
  fsyncIntervalMs?: number;
  /** First resend delay on a live session (tests shorten it). */
  resendAfterMs?: number;
  now?: () => number;
}

interface UnackedEntry {
  seq: number;
  /** Byte offset of the event's line in the spool file. */
  offset: number;
}

/** One job's stream of events. */
export class JobStream {
  nextSeq = 1;
  /** Highest seq written to the spool file. */
  lastSpooledSeq = 0;
  ackedSeq = 0;
  /** Highest seq handed to the socket in the current session. */
  sentSeq = 0;
  /** Replay is done for this session: new events go straight to the socket. */
  live = false;
  /** No more events will come (job.finished written, or left over from a previous process). */
  ended = false;
  finished = false;
  dirty = false;
  /** End of the valid data in the file. */
  size = 0;
  readonly unacked: UnackedEntry[] = [];
  /** Since when the oldest unacked event has waited for its ack (or since its last resend). */
  waitingSince = 0;
  resendDelayMs = RESEND_AFTER_MS;

  constructor(
    readonly jobId: string,
    readonly path: string,
    public fd: number | null,
    readonly fromPreviousRun: boolean,
  ) {}
}

/** A file name for any job id: the id itself when it is tame, else its hash (the header has the id). */
export function spoolFileName(jobId: string): string {
  const base = /^[A-Za-z0-9_-]{1,100}$/.test(jobId) ? jobId : `h-${createHash("sha256").update(jobId).digest("hex")}`;
  return `${base}${SPOOL_EXT}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Outbox {
  readonly #options: OutboxOptions;
  readonly #log: Logger;
  readonly #streams = new Map<string, JobStream>();
  /** Latest undelivered non-job messages (snapshot listing, repo stats), by kind. */
  readonly #pending = new Map<string, AgentWireMessage[]>();
  /** The latest non-job messages sent, by kind, for the server to ask again (`reports.resend`). */
  readonly #lastSent = new Map<string, AgentWireMessage[]>();
  #up = false;
  /** The session-start replay is running; resends wait for it. */
  #sessionReplay = false;
  #resendTimer: NodeJS.Timeout | null = null;
  readonly #now: () => number;
  readonly #resendAfterMs: number;
  /** Bumped on every session start and end, so a replay notices its session is gone. */
  #epoch = 0;
  #fsyncTimer: NodeJS.Timeout | null = null;
  #diskWarned = false;

  constructor(options: OutboxOptions) {
    this.#options = options;
    this.#log = options.log ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.#resendAfterMs = options.resendAfterMs ?? RESEND_AFTER_MS;
  }

  get spoolDir(): string {
    return this.#options.spoolDir;
  }

  /** Job ids with a stream (running, or ended with unacked events). */
  jobIds(): string[] {
    return [...this.#streams.keys()];
  }

  /** Jobs that ended here but whose events the server has not acknowledged yet. */
  heldJobIds(): string[] {
    const held: string[] = [];
    for (const stream of this.#streams.values()) if (stream.ended && stream.unacked.length > 0) held.push(stream.jobId);
    return held;
  }

  stream(jobId: string): JobStream | undefined {
    return this.#streams.get(jobId);
  }

  // -------------------------------------------------------------------------------------------
  // Job streams
  // -------------------------------------------------------------------------------------------

  /** Starts a job's stream. Null when this job id already has one (a duplicate command). */
  open(jobId: string): JobStream | null {
    if (this.#streams.has(jobId)) return null;
    const path = join(this.#options.spoolDir, spoolFileName(jobId));
    let fd: number | null = null;
    let size = 0;
    try {
      mkdirSync(this.#options.spoolDir, { recursive: true, mode: 0o700 });
      fd = openSync(path, "w", 0o600);
      const header = `${JSON.stringify({ format: SPOOL_FORMAT, jobId, createdAt: Date.now() })}\n`;
      size = writeSync(fd, header);
    } catch (error) {
      this.#diskFailure(path, error as Error);
      if (fd !== null) closeSync(fd);
      fd = null;
    }
    const stream = new JobStream(jobId, path, fd, false);
    stream.size = size;
    stream.live = this.#up;
    stream.resendDelayMs = this.#resendAfterMs;
    this.#streams.set(jobId, stream);
    this.#startTimers();
    return stream;
  }

  /**
   * Emits one job event: assigns its seq, spools it (except progress) and sends it when the
   * job is live. Returns the seq, or null for a progress report dropped while offline.
   */
  emit<T extends JobEventType>(stream: JobStream, type: T, body: JobEventBody<T>): number | null {
    if (stream.ended) throw new Error(`job ${stream.jobId} already ended; cannot emit ${type}`);
    const persist = type !== "job.progress";
    if (!persist && !(this.#up && stream.live)) return null;
    const seq = stream.nextSeq;
    const wire = createAgentMessage(type, { ...body, jobId: stream.jobId, seq } as unknown as AgentPayload<T>);
    stream.nextSeq++;
    if (persist) this.#append(stream, seq, wire);
    if (this.#up && stream.live && this.#send(wire)) stream.sentSeq = seq;
    if (type === "job.finished") stream.finished = true;
    return seq;
  }

  /** No more events for this job: syncs its file and deletes it once everything is acked. */
  end(stream: JobStream): void {
    if (stream.ended) return;
    stream.ended = true;
    this.#sync(stream);
    if (stream.fd !== null) {
      closeSync(stream.fd);
      stream.fd = null;
    }
    this.#removeIfDone(stream);
  }

  /** `job.ack`: everything of the job up to `seq` is stored by the server. */
  ack(jobId: string, seq: number): void {
    const stream = this.#streams.get(jobId);
    if (!stream || seq <= stream.ackedSeq) return;
    stream.ackedSeq = seq;
    if (stream.sentSeq < seq) stream.sentSeq = seq;
    let drop = 0;
    while (drop < stream.unacked.length && stream.unacked[drop]!.seq <= seq) drop++;
    if (drop > 0) {
      stream.unacked.splice(0, drop);
      stream.waitingSince = this.#now();
      stream.resendDelayMs = this.#resendAfterMs;
    }
    this.#removeIfDone(stream);
  }

  #append(stream: JobStream, seq: number, wire: AgentWireMessage): void {
    stream.lastSpooledSeq = seq;
    if (stream.fd === null) return;
    const line = Buffer.from(`${seq}\t${wire}\n`, "utf8");
    try {
      let written = 0;
      while (written < line.length) written += writeSync(stream.fd, line, written, line.length - written);
      if (stream.unacked.length === 0) stream.waitingSince = this.#now();
      stream.unacked.push({ seq, offset: stream.size });
      stream.size += line.length;
      stream.dirty = true;
    } catch (error) {
      this.#diskFailure(stream.path, error as Error);
    }
  }

  #diskFailure(path: string, error: Error): void {
    // The event still goes out live; only its replay after a disconnect is lost.
    if (this.#diskWarned) return;
    this.#diskWarned = true;
    this.#log.error(`cannot write the job spool ${path}: ${error.message}; job events will not survive a disconnect`);
  }

  #removeIfDone(stream: JobStream): void {
    if (!stream.ended || stream.ackedSeq < stream.lastSpooledSeq) return;
    this.#streams.delete(stream.jobId);
    try {
      rmSync(stream.path, { force: true });
    } catch (error) {
      this.#log.warn(`cannot delete the job spool ${stream.path}: ${(error as Error).message}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Durability
  // -------------------------------------------------------------------------------------------

  #sync(stream: JobStream): void {
    if (!stream.dirty || stream.fd === null) return;
    try {
      fdatasyncSync(stream.fd);
    } catch (error) {
      this.#log.warn(`fsync of ${stream.path} failed: ${(error as Error).message}`);
    }
    stream.dirty = false;
  }

  /** fsyncs every spool file with unsynced writes. */
  flush(): void {
    for (const stream of this.#streams.values()) this.#sync(stream);
  }

  #startTimers(): void {
    if (this.#fsyncTimer) return;
    this.#fsyncTimer = setInterval(() => this.flush(), this.#options.fsyncIntervalMs ?? FSYNC_INTERVAL_MS);
    this.#fsyncTimer.unref();
    this.#resendTimer = setInterval(() => this.resendOverdue(), Math.min(RESEND_CHECK_MS, this.#resendAfterMs));
    this.#resendTimer.unref();
  }

  /**
   * Resends, on the live session, each job whose oldest unacked event has waited longer than
   * its resend delay; the delay doubles per resend until an ack moves. Returns the jobs resent.
   */
  resendOverdue(): string[] {
    if (!this.#up || this.#sessionReplay) return [];
    const now = this.#now();
    const resent: string[] = [];
    for (const stream of this.#streams.values()) {
      const oldest = stream.unacked[0];
      // Only what went out on this session and is overdue; a job still replaying is not live.
      if (!stream.live || !oldest || stream.sentSeq < oldest.seq) continue;
      if (now - stream.waitingSince < stream.resendDelayMs) continue;
      this.#log.warn(
        `no acknowledgement for ${stream.unacked.length} event(s) of job ${stream.jobId} after ${Math.round((now - stream.waitingSince) / 1000)} s; sending them again`,
      );
      stream.resendDelayMs = Math.min(stream.resendDelayMs * 2, RESEND_MAX_MS);
      stream.waitingSince = now;
      stream.live = false;
      stream.sentSeq = stream.ackedSeq;
      resent.push(stream.jobId);
      void this.#replay(stream, this.#epoch);
    }
    return resent;
  }

  /** Syncs and closes the files; they stay on disk for the next agent process. */
  close(): void {
    if (this.#fsyncTimer) clearInterval(this.#fsyncTimer);
    if (this.#resendTimer) clearInterval(this.#resendTimer);
    this.#resendTimer = null;
    this.#fsyncTimer = null;
    this.flush();
    for (const stream of this.#streams.values()) {
      if (stream.fd !== null) closeSync(stream.fd);
      stream.fd = null;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Leftovers from a previous agent process
  // -------------------------------------------------------------------------------------------

  /**
   * Loads the spool files a previous agent process left. Their jobs are over (the server marks
   * them interrupted unless a job.finished is among the events); the events are replayed on the
   * next session and the files deleted once acked. A torn last line (crash mid-write) is dropped.
   */
  loadLeftovers(): { jobId: string; events: number; finished: boolean }[] {
    const dir = this.#options.spoolDir;
    if (!existsSync(dir)) return [];
    const found: { jobId: string; events: number; finished: boolean }[] = [];
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith(SPOOL_EXT)) continue;
      const path = join(dir, name);
      try {
        const stream = this.#scanLeftover(path);
        if (!stream) {
          rmSync(path, { force: true });
          continue;
        }
        if (this.#streams.has(stream.jobId)) continue;
        this.#streams.set(stream.jobId, stream);
        found.push({ jobId: stream.jobId, events: stream.unacked.length, finished: stream.finished });
      } catch (error) {
        this.#log.warn(`ignored unreadable job spool ${path}: ${(error as Error).message}`);
      }
    }
    if (found.length > 0) {
      const total = found.reduce((n, f) => n + f.events, 0);
      this.#log.info(`found ${found.length} job spool(s) from a previous run with ${total} unsent events`);
    }
    return found;
  }

  #scanLeftover(path: string): JobStream | null {
    let stream: JobStream | null = null;
    forEachLine(path, (line, offset, end) => {
      if (!stream) {
        const header = JSON.parse(line) as { format?: unknown; jobId?: unknown };
        if (header.format !== SPOOL_FORMAT || typeof header.jobId !== "string") throw new Error("not a job spool");
        stream = new JobStream(header.jobId, path, null, true);
        stream.size = end;
        return true;
      }
      const event = parseSpoolLine(line);
      const s = stream as JobStream;
      if (!event || event.jobId !== s.jobId || event.seq <= s.lastSpooledSeq) return false; // torn or foreign: stop here
      s.unacked.push({ seq: event.seq, offset });
      s.lastSpooledSeq = event.seq;
      s.nextSeq = event.seq + 1;
      if (event.type === "job.finished") s.finished = true;
      s.size = end;
      return true;
    });
    const s = stream as JobStream | null;
    if (!s || s.unacked.length === 0) return null;
    s.ended = true;
    return s;
  }

  // -------------------------------------------------------------------------------------------
  // Sessions
  // -------------------------------------------------------------------------------------------

  /**
   * A session is up (after `hello.ok`): replays every job's unacked events in order, then the
   * kept non-job messages. Resolves when done, or early when the session ends meanwhile; the
   * connection holds its heartbeats until then.
   */
  async onSession(): Promise<void> {
    const epoch = ++this.#epoch;
    this.#up = true;
    this.#sessionReplay = true;
    this.#startTimers();
    const now = this.#now();
    for (const stream of this.#streams.values()) {
      stream.live = false;
      stream.sentSeq = stream.ackedSeq;
      stream.waitingSince = now;
      stream.resendDelayMs = this.#resendAfterMs;
    }
    try {
      for (;;) {
        const next = [...this.#streams.values()].find((s) => !s.live);
        if (!next) break;
        if (!(await this.#replay(next, epoch))) return;
      }
      for (const [key, wires] of [...this.#pending]) {
        if (!this.#sendAll(wires)) return;
        this.#pending.delete(key);
      }
    } finally {
      if (epoch === this.#epoch) this.#sessionReplay = false;
    }
  }

  /** The session ended: events only go to disk until the next one. */
  onSessionEnd(): void {
    this.#epoch++;
    this.#up = false;
    this.#sessionReplay = false;
    for (const stream of this.#streams.values()) stream.live = false;
  }

  #send(wire: AgentWireMessage): boolean {
    if (!this.#up) return false;
    if (this.#options.send(wire)) return true;
    this.onSessionEnd();
    return false;
  }

  #sendAll(wires: AgentWireMessage[]): boolean {
    for (const wire of wires) if (!this.#send(wire)) return false;
    return true;
  }

  /**
   * Sends a non-job message (a snapshot listing in parts, repo stats) now, or keeps it, as the
   * latest of its `kind`, for the next session. Not spooled: the next job reports afresh.
   */
  sendOrKeep(kind: string, wires: AgentWireMessage[]): boolean {
    this.#lastSent.delete(kind);
    if (this.#up && this.#sendAll(wires)) {
      this.#pending.delete(kind);
      this.#lastSent.set(kind, wires);
      return true;
    }
    this.#pending.set(kind, wires);
    return false;
  }

  /**
   * Sends the latest non-job messages again (the server asks when it could not store them).
   * Kinds still waiting for a session go out with it anyway. Returns the kinds resent.
   */
  resendReports(): string[] {
    const resent: string[] = [];
    for (const [kind, wires] of this.#lastSent) {
      if (this.#pending.has(kind) || !this.#sendAll(wires)) continue;
      resent.push(kind);
    }
    return resent;
  }

  async #replay(stream: JobStream, epoch: number): Promise<boolean> {
    const first = stream.unacked.find((entry) => entry.seq > stream.sentSeq);
    if (!first) {
      stream.live = true;
      // Nothing on disk to send: an ended job whose events could not be spooled is done too.
      if (stream.unacked.length === 0 && stream.ended) {
        stream.ackedSeq = Math.max(stream.ackedSeq, stream.lastSpooledSeq);
        this.#removeIfDone(stream);
      }
      return true;
    }
    let fd: number;
    try {
      fd = openSync(stream.path, "r");
    } catch (error) {
      this.#log.error(`cannot replay ${stream.path}: ${(error as Error).message}; its unsent events are lost`);
      stream.unacked.length = 0;
      stream.ackedSeq = stream.lastSpooledSeq;
      stream.live = true;
      this.#removeIfDone(stream);
      return true;
    }
    let replayed = 0;
    try {
      let offset = first.offset;
      let carry: Buffer = Buffer.alloc(0);
      for (;;) {
        if (epoch !== this.#epoch) return false;
        // Checked and acted on in the same tick: nothing can be appended in between.
        if (offset >= stream.size) {
          stream.live = true;
          if (replayed > 0) this.#log.info(`replayed ${replayed} unacknowledged events of job ${stream.jobId}`);
          return true;
        }
        const want = Math.min(REPLAY_CHUNK_BYTES, stream.size - offset);
        const chunk = Buffer.allocUnsafe(want);
        const read = readSync(fd, chunk, 0, want, offset);
        if (read <= 0) throw new Error(`${stream.path} is shorter than expected`);
        offset += read;
        const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, read)]) : chunk.subarray(0, read);
        let start = 0;
        for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
          const line = data.toString("utf8", start, nl);
          start = nl + 1;
          const tab = line.indexOf("\t");
          const seq = Number(line.slice(0, tab));
          if (!(seq > stream.sentSeq)) continue;
          if (!this.#send(line.slice(tab + 1) as AgentWireMessage)) return false;
          stream.sentSeq = seq;
          replayed++;
        }
        carry = Buffer.from(data.subarray(start));
        while ((this.#options.bufferedAmount?.() ?? 0) > REPLAY_HIGH_WATER_BYTES) {
          await sleep(10);
          if (epoch !== this.#epoch) return false;
        }
        // Let acks and other messages in between chunks.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      this.#log.error(`replay of ${stream.path} failed: ${(error as Error).message}`);
      stream.live = true;
      return true;
    } finally {
      closeSync(fd);
    }
  }
}

/** `<seq>\t<wire>` -> its job id, seq and type; null when the line is not a whole event. */
export function parseSpoolLine(line: string): { seq: number; jobId: string; type: string } | null {
  const tab = line.indexOf("\t");
  if (tab <= 0) return null;
  const seq = Number(line.slice(0, tab));
  if (!Number.isSafeInteger(seq) || seq <= 0) return null;
  try {
    const message = JSON.parse(line.slice(tab + 1)) as { type?: unknown; payload?: { jobId?: unknown; seq?: unknown } };
    if (typeof message.type !== "string" || message.payload?.seq !== seq || typeof message.payload.jobId !== "string") {
      return null;
    }
    return { seq, jobId: message.payload.jobId, type: message.type };
  } catch {
    return null;
  }
}

/**
 * Calls `onLine(text, startOffset, endOffset)` for each complete line of the file;
 * stops when it returns false. Reads in chunks; a trailing line without newline is ignored.
 */
function forEachLine(path: string, onLine: (line: string, offset: number, end: number) => boolean): void {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    let offset = 0;
    let carry: Buffer = Buffer.alloc(0);
    let carryStart = 0;
    while (offset < size) {
      const want = Math.min(REPLAY_CHUNK_BYTES, size - offset);
      const chunk = Buffer.allocUnsafe(want);
      const read = readSync(fd, chunk, 0, want, offset);
      if (read <= 0) break;
      offset += read;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, read)]) : chunk.subarray(0, read);
      let start = 0;
      for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
        const lineStart = carryStart + start;
        const text = data.toString("utf8", start, nl);
        start = nl + 1;
        if (!onLine(text, lineStart, carryStart + start)) return;
      }
      carryStart += start;
      carry = Buffer.from(data.subarray(start));
    }
  } finally {
    closeSync(fd);
  }
}
