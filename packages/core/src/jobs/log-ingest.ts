/**
 * Group commit for the agent's high-rate job events (`log.stream` and `job.progress`).
 *
 * One transaction per frame is too slow for a fleet streaming logs at once (benchmark B4; the
 * numbers are in bench/README.md). Frames that arrive while
 * a commit is running, or in the same event-loop turn, are applied together: one transaction,
 * one multi-row INSERT of their lines, one UPDATE per job. Nothing waits on a timer, so a lone
 * frame commits as fast as before, and the batch grows only when the load does.
 *
 * Each agent connection hands the console one message at a time and waits for it (the
 * gateway's per-connection queue), so frames of one job never overtake each other; a batch
 * holds at most one frame per connection. Every caller still gets the seq to acknowledge only
 * after the transaction holding its frame committed.
 *
 * Acks are cumulative: the agent forgets every event up to the acked seq. So an event that
 * failed to store (a full disk) leaves a gap that nothing later may paper over: until the agent
 * resends it and it is stored, later events of that job are neither stored nor acknowledged
 * (`DeliveryGaps`). Progress reports are the exception: the agent never spools them, so a lost
 * one opens no gap.
 */
import { type Database, jobLogs, jobs, type Transaction } from "@restic-manager/db";
import type { AgentMessage, JobProgress } from "@restic-manager/protocol";
import { inArray, sql } from "drizzle-orm";
import type { EventBus, JobLogLine } from "../events.js";

export type IngestFrame = Extract<AgentMessage, { type: "job.progress" | "log.stream" }>;

/** Per-job log cap; past it one marker line says how much was dropped. */
export const MAX_LOG_LINES_PER_JOB = 200_000;
export const MAX_LOG_BYTES_PER_JOB = 64 * 1024 * 1024;

/** Frames per transaction: bounds how long one commit keeps the event loop (and the writer). */
const MAX_FRAMES_PER_COMMIT = 500;
/** Rows per INSERT: 5 bound parameters each, well under SQLite's 32,766. */
const ROWS_PER_INSERT = 1_000;
const JOBS_PER_SELECT = 500;

interface Pending {
  hostId: string;
  frame: IngestFrame;
  resolve: (ack: number | null) => void;
  reject: (e: unknown) => void;
}

/**
 * Per job, the lowest seq of an event that failed to store. An event above it must wait: it is
 * not stored and not acknowledged, since a cumulative ack would make the agent drop the missing
 * one. The gap closes when the event at its seq is stored (or turns out to be stored already).
 * Kept in memory: after a console restart the database's last seq is below every gap anyway,
 * because nothing past a gap was stored.
 */
export class DeliveryGaps {
  readonly #gaps = new Map<string, number>();

  /** True when `seq` must wait for an earlier event of its job that failed to store. */
  blocks(jobId: string, seq: number): boolean {
    const gap = this.#gaps.get(jobId);
    return gap !== undefined && seq > gap;
  }

  has(jobId: string): boolean {
    return this.#gaps.has(jobId);
  }

  /** The event at `seq` could not be stored. */
  opened(jobId: string, seq: number): void {
    const gap = this.#gaps.get(jobId);
    if (gap === undefined || seq < gap) this.#gaps.set(jobId, seq);
  }

  /** The event at `seq` is stored (now or before). */
  stored(jobId: string, seq: number): void {
    const gap = this.#gaps.get(jobId);
    if (gap !== undefined && seq >= gap) this.#gaps.delete(jobId);
  }

  get size(): number {
    return this.#gaps.size;
  }
}

interface JobState {
  hostId: string;
  lastSeq: number;
  logLines: number;
  logBytes: number;
  logTruncated: boolean;
  progress?: JobProgress;
  dirty: boolean;
  /** Lines accepted in this batch, in order. */
  rows: JobLogLine[];
}

export class LogIngest {
  #queue: Pending[] = [];
  #scheduled = false;
  #committing = false;
  /** Transactions committed (tests check that frames arriving together share one). */
  readonly stats = { commits: 0 };

  constructor(
    private readonly db: Database,
    private readonly events: EventBus,
    private readonly now: () => number = Date.now,
    readonly gaps: DeliveryGaps = new DeliveryGaps(),
  ) {}

  /**
   * Queues one frame from `hostId`'s agent; resolves with the seq to acknowledge once it is
   * committed (or was a replay, or names a job that is not this host's: acked and dropped), or
   * with null when it waits behind a gap (not stored, not acknowledged: the agent resends it).
   * Rejects when the commit failed; the frame then opens a gap.
   */
  submit(hostId: string, frame: IngestFrame): Promise<number | null> {
    return new Promise<number | null>((resolve, reject) => {
      this.#queue.push({ hostId, frame, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#committing) return;
    this.#scheduled = true;
    // After the current turn's socket reads, so their frames join this batch.
    setImmediate(() => void this.#drain());
  }

  async #drain(): Promise<void> {
    this.#scheduled = false;
    this.#committing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_FRAMES_PER_COMMIT);
        let waiting: Set<Pending>;
        let after: () => void;
        try {
          ({ waiting, after } = await this.#commit(batch));
        } catch (e) {
          // Nothing of the batch is stored: each spooled event opens its job's gap before any
          // caller hears of it, so the next frame of that job already waits.
          for (const { frame } of batch) {
            if (frame.type !== "job.progress") this.gaps.opened(frame.payload.jobId, frame.payload.seq);
          }
          for (const p of batch) p.reject(e);
          continue;
        }
        for (const p of batch) {
          if (waiting.has(p)) {
            p.resolve(null);
          } else {
            this.gaps.stored(p.frame.payload.jobId, p.frame.payload.seq);
            p.resolve(p.frame.payload.seq);
          }
        }
        after();
      }
    } finally {
      this.#committing = false;
    }
  }

  /**
   * Applies a batch in one transaction; returns the frames that wait behind a gap and what to
   * emit once it committed.
   */
  async #commit(batch: Pending[]): Promise<{ waiting: Set<Pending>; after: () => void }> {
    const progressEvents: { jobId: string; progress: JobProgress }[] = [];
    const states = new Map<string, JobState>();
    const waiting = new Set<Pending>();
    await this.db.transaction(async (tx) => {
      await this.#load(tx, [...new Set(batch.map((p) => p.frame.payload.jobId))], states);
      for (const pending of batch) {
        const { hostId, frame } = pending;
        if (this.gaps.blocks(frame.payload.jobId, frame.payload.seq)) {
          waiting.add(pending);
          continue;
        }
        const job = states.get(frame.payload.jobId);
        // Unknown or another host's job, or a replay: nothing to store, the caller acks it.
        if (!job || job.hostId !== hostId || frame.payload.seq <= job.lastSeq) continue;
        job.lastSeq = frame.payload.seq;
        job.dirty = true;
        if (frame.type === "job.progress") {
          job.progress = { ...frame.payload };
          progressEvents.push({ jobId: frame.payload.jobId, progress: job.progress });
        } else {
          this.#accept(job, frame.payload);
        }
      }
      await this.#write(tx, states);
    });
    this.stats.commits++;
    const after = () => {
      for (const [jobId, job] of states) {
        if (job.rows.length > 0) this.events.emit("job.logs", { jobId, lines: job.rows });
      }
      for (const e of progressEvents) this.events.emit("job.progress", e);
    };
    return { waiting, after };
  }

  async #load(tx: Transaction, jobIds: string[], into: Map<string, JobState>): Promise<void> {
    for (let i = 0; i < jobIds.length; i += JOBS_PER_SELECT) {
      const rows = await tx
        .select({
          id: jobs.id,
          hostId: jobs.hostId,
          lastSeq: jobs.lastSeq,
          logLines: jobs.logLines,
          logBytes: jobs.logBytes,
          logTruncated: jobs.logTruncated,
        })
        .from(jobs)
        .where(inArray(jobs.id, jobIds.slice(i, i + JOBS_PER_SELECT)));
      for (const { id, ...row } of rows) into.set(id, { ...row, dirty: false, rows: [] });
    }
  }

  /** Takes a frame's lines up to the job's caps; the first line over a cap becomes one marker. */
  #accept(job: JobState, payload: Extract<IngestFrame, { type: "log.stream" }>["payload"]): void {
    const { lineOffset, lines } = payload;
    let dropped = false;
    lines.forEach((l, i) => {
      const bytes = Buffer.byteLength(l.line);
      if (job.logLines >= MAX_LOG_LINES_PER_JOB || job.logBytes + bytes > MAX_LOG_BYTES_PER_JOB) {
        dropped = true;
        return;
      }
      job.logBytes += bytes;
      job.logLines++;
      job.rows.push({ seq: lineOffset + i, at: l.at, stream: l.stream, line: l.line });
    });
    if (dropped && !job.logTruncated) {
      job.logTruncated = true;
      job.logLines++;
      job.rows.push({
        seq: lineOffset + lines.length - 1,
        at: this.now(),
        stream: "system",
        line: `[log truncated: this job's log reached its size cap (${MAX_LOG_LINES_PER_JOB.toLocaleString("en")} lines or ${MAX_LOG_BYTES_PER_JOB / 1024 / 1024} MiB); later lines are not stored]`,
      });
    }
  }

  /**
   * Two statements per chunk whatever the number of lines and jobs: the rows travel as one JSON
   * parameter that SQLite unpacks with json_each, so the SQL text is constant and the query
   * builder does not walk every value (per-row builder work and prepares were most of the
   * console's CPU at 20,000 lines/s).
   */
  async #write(tx: Transaction, states: Map<string, JobState>): Promise<void> {
    const all: [string, number, number, string, string][] = [];
    for (const [jobId, job] of states) for (const r of job.rows) all.push([jobId, r.seq, r.at, r.stream, r.line]);
    let inserted = 0;
    for (let i = 0; i < all.length; i += ROWS_PER_INSERT) {
      const chunk = all.slice(i, i + ROWS_PER_INSERT);
      const result = await tx.run(sql`
        INSERT INTO job_logs (job_id, seq, at, stream, line)
        SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(${JSON.stringify(chunk)})
        WHERE true ON CONFLICT DO NOTHING`);
      inserted += result.rowsAffected;
    }
    const dirty = [...states].filter(([, job]) => job.dirty);
    if (inserted < all.length) {
      // Some lines were already stored (a replay that raced its ack): count, do not guess.
      const ids = dirty.map(([id]) => id);
      const counts = await tx
        .select({ jobId: jobLogs.jobId, n: sql<number>`count(*)` })
        .from(jobLogs)
        .where(inArray(jobLogs.jobId, ids))
        .groupBy(jobLogs.jobId);
      for (const [id, job] of dirty) job.logLines = counts.find((c) => c.jobId === id)?.n ?? 0;
    }
    const updates = dirty.map(([jobId, job]) => [
      jobId,
      job.logLines,
      job.logBytes,
      job.logTruncated ? 1 : 0,
      job.lastSeq,
      job.progress === undefined ? null : job.progress,
    ]);
    for (let i = 0; i < updates.length; i += JOBS_PER_SELECT) {
      await tx.run(sql`
        UPDATE jobs SET log_lines = u.value ->> 1, log_bytes = u.value ->> 2, log_truncated = u.value ->> 3,
          last_seq = u.value ->> 4, progress = coalesce(u.value ->> 5, jobs.progress)
        FROM json_each(${JSON.stringify(updates.slice(i, i + JOBS_PER_SELECT))}) AS u
        WHERE jobs.id = u.value ->> 0`);
    }
  }
}
