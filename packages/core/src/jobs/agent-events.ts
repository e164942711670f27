/**
 * The agent's job events: `job.started` and `job.finished` here, log lines and progress through
 * the group commit (log-ingest.ts), and the heartbeat's view of which jobs still run. Events carry
 * (jobId, seq); a replayed event at or below the job's last applied seq is acknowledged and
 * dropped, and log lines are keyed by their job-wide number, so a replay after a reconnect or a
 * server restart never duplicates anything. An event that failed to store holds back the later
 * ones of its job, unacknowledged, until it is resent (DeliveryGaps).
 */
import { type Database, hosts, type JobStatus, jobs } from "@restic-manager/db";
import type { AgentMessage } from "@restic-manager/protocol";
import { and, eq, inArray, lt, notInArray, type SQL, sql } from "drizzle-orm";
import type { EventBus } from "../events.js";
import { ACTIVE_STATUSES, type FinishDetails, finishJob, type HostActivity } from "./finish.js";
import { LogIngest } from "./log-ingest.js";

export type JobEvent = Extract<AgentMessage, { type: "job.started" | "job.progress" | "log.stream" | "job.finished" }>;

/** A dispatched job the agent has not reported as running after this long was lost. */
const START_GRACE_MS = 30_000;

export class JobEvents {
  /** Log lines and progress, committed in groups (see log-ingest.ts). */
  readonly ingest: LogIngest;

  constructor(
    private readonly db: Database,
    private readonly events: EventBus,
    private readonly activity: HostActivity,
    private readonly now: () => number = Date.now,
  ) {
    this.ingest = new LogIngest(db, events, now);
  }

  #finish(job: { id: string; hostId: string }, status: JobStatus, details: FinishDetails) {
    return finishJob(this.db, this.events, job, status, details, this.now);
  }

  /**
   * Applies one job event from `hostId`'s agent. Returns the seq to acknowledge, or null when
   * the event waits behind an earlier one that failed to store (see DeliveryGaps). Throws when
   * it could not be stored; the agent then gets no ack and resends it.
   */
  async apply(hostId: string, message: JobEvent): Promise<number | null> {
    if (message.type === "job.progress" || message.type === "log.stream") return this.ingest.submit(hostId, message);
    const { jobId, seq } = message.payload;
    const gaps = this.ingest.gaps;
    if (gaps.blocks(jobId, seq)) return null;
    try {
      const ack = await this.#applyLifecycleEvent(hostId, message);
      gaps.stored(jobId, seq);
      return ack;
    } catch (e) {
      gaps.opened(jobId, seq);
      throw e;
    }
  }

  async #applyLifecycleEvent(
    hostId: string,
    message: Extract<JobEvent, { type: "job.started" | "job.finished" }>,
  ): Promise<number> {
    const { jobId, seq } = message.payload;
    const [job] = await this.db
      .select({ hostId: jobs.hostId, lastSeq: jobs.lastSeq, status: jobs.status })
      .from(jobs)
      .where(eq(jobs.id, jobId));
    // Unknown or another host's job: nothing to store, but ack so the agent drops it.
    if (!job || job.hostId !== hostId) return seq;
    if (seq <= job.lastSeq) return seq;

    if (message.type === "job.started") {
      await this.db
        .update(jobs)
        .set({
          // A job already finished (cancelled while offline, say) keeps its final status.
          status: sql`CASE WHEN ${jobs.status} IN ('queued', 'running') THEN 'running' ELSE ${jobs.status} END`,
          startedAt: new Date(message.payload.at),
          lastSeq: seq,
        })
        .where(eq(jobs.id, jobId));
      this.events.emit("job.updated", { jobId, hostId, status: "running" });
      return seq;
    }
    const p = message.payload;
    await this.#finish({ id: jobId, hostId }, p.status, {
      exitCode: p.exitCode,
      error: p.error,
      stats: p.summary ?? undefined,
      seq,
      at: p.at,
    });
    return seq;
  }

  /**
   * From each heartbeat: jobs the console thinks are running on this host but the agent does
   * not have (it restarted, or the command was lost) are marked interrupted. A job the agent
   * still holds undelivered events of (`heldJobIds`: it ended, but its last events are not
   * acknowledged yet), or one with a gap on this side, is not lost: its end is on the way.
   */
  async reconcileRunning(hostId: string, runningJobIds: string[], heldJobIds: string[] = []): Promise<void> {
    const { idle } = this.activity;
    if (heldJobIds.length > 0) runningJobIds = [...new Set([...runningJobIds, ...heldJobIds])];
    if (runningJobIds.length === 0 && idle.has(hostId)) return;
    const dispatchesBefore = this.activity.dispatches;
    const startCutoff = new Date(this.now() - START_GRACE_MS);
    const conditions: SQL[] = [eq(jobs.hostId, hostId), inArray(jobs.status, ACTIVE_STATUSES)];
    if (runningJobIds.length) conditions.push(notInArray(jobs.id, runningJobIds));
    const lost = await this.db
      .select({ id: jobs.id, status: jobs.status, dispatchedAt: jobs.dispatchedAt })
      .from(jobs)
      .where(and(...conditions));
    if (runningJobIds.length === 0 && lost.length === 0 && this.activity.dispatches === dispatchesBefore) {
      idle.add(hostId);
    }
    for (const job of lost) {
      // A queued job may simply not have reached the agent yet.
      if (job.status === "queued" && (!job.dispatchedAt || job.dispatchedAt > startCutoff)) continue;
      if (this.ingest.gaps.has(job.id)) continue;
      await this.#finish({ id: job.id, hostId }, "interrupted", {
        error: "The agent is no longer running this job (it restarted or lost the command). Run it again.",
      });
    }
  }

  /** Jobs whose agent has been away longer than the lease are interrupted, never stuck running. */
  async sweepLeases(leaseMs: number): Promise<number> {
    const cutoff = new Date(this.now() - leaseMs);
    const stale = await this.db
      .select({ id: jobs.id, hostId: jobs.hostId })
      .from(jobs)
      .innerJoin(hosts, eq(hosts.id, jobs.hostId))
      .where(
        and(
          inArray(jobs.status, ACTIVE_STATUSES),
          sql`${hosts.status} != 'online'`,
          lt(sql`coalesce(${hosts.lastSeenAt}, 0)`, cutoff.getTime()),
        ),
      );
    for (const job of stale) {
      await this.#finish(job, "interrupted", {
        error: `The agent has been away for more than ${Math.round(leaseMs / 60_000)} minutes.`,
      });
    }
    return stale.length;
  }
}
