/**
 * Ending a job: its status, exit code, error and stats, the host's last backup and repository
 * lock state, in one transaction, then `job.updated`. Whoever ends a job (the agent's
 * `job.finished`, a cancel while offline, a lost command, an expired lease) ends it here.
 */
import { type Database, hosts, type JobStatus, jobs } from "@restic-manager/db";
import { and, eq, sql } from "drizzle-orm";
import type { EventBus } from "../events.js";

export const ACTIVE_STATUSES: JobStatus[] = ["queued", "running"];

/** restic's words for "someone else holds the lock". */
const LOCK_ERROR = /already locked|unable to create lock|repository is locked|lock .* (held|is stale)/i;

export interface FinishDetails {
  exitCode?: number | null;
  error?: string | null;
  stats?: Record<string, unknown>;
  seq?: number;
  at?: number;
}

export async function finishJob(
  db: Database,
  events: EventBus,
  job: { id: string; hostId: string },
  status: JobStatus,
  details: FinishDetails,
  now: () => number,
): Promise<void> {
  const finishedAt = new Date(details.at ?? now());
  // One transaction: a job that ended is never stored without its host's last backup and lock
  // state (a half-applied finish would be acknowledged and never corrected).
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(jobs)
      .set({
        status,
        finishedAt,
        exitCode: details.exitCode ?? null,
        error: details.error ?? null,
        ...(details.stats ? { stats: details.stats } : {}),
        ...(details.seq ? { lastSeq: details.seq } : {}),
      })
      .where(eq(jobs.id, job.id))
      .returning({ kind: jobs.kind });
    if (row?.kind === "backup") {
      await tx
        .update(hosts)
        .set({ lastBackupAt: finishedAt, lastBackupStatus: status })
        .where(eq(hosts.id, job.hostId));
    }
    if (!row || row.kind === "init") return;
    if (status === "failed" && details.error && LOCK_ERROR.test(details.error)) {
      await tx
        .update(hosts)
        .set({ repoLockError: details.error.slice(0, 1024), repoLockAt: finishedAt })
        .where(eq(hosts.id, job.hostId));
    } else if (status === "succeeded" && row.kind !== "check") {
      // Anything that took the repository lock and got through proves no stale lock is in the way.
      await tx
        .update(hosts)
        .set({ repoLockError: null, repoLockAt: null })
        .where(and(eq(hosts.id, job.hostId), sql`${hosts.repoLockError} IS NOT NULL`));
    }
  });
  // The dispatcher listens for this and sends the host's next queued job.
  events.emit("job.updated", { jobId: job.id, hostId: job.hostId, status });
}

/**
 * Hosts known to have no queued or running job, so their heartbeats (333/s with 10k agents)
 * need no query. A host leaves the set before any job of it is created (dispatch is the only
 * place jobs are inserted) and enters it when a reconcile finds nothing active; `dispatches`
 * lets a reconcile that raced a dispatch notice it.
 */
export class HostActivity {
  readonly idle = new Set<string>();
  dispatches = 0;

  /** A job is about to be created for the host. */
  busy(hostId: string): void {
    this.idle.delete(hostId);
    this.dispatches++;
  }
}
