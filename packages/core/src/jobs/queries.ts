/** Reading jobs: one job, a filtered page of jobs, a job's log, a host's latest job of a kind. */
import { type Database, hosts, type JobKind, type JobStatus, jobLogs, jobs, sourceGroups } from "@restic-manager/db";
import { and, desc, eq, gt, lt, type SQL } from "drizzle-orm";
import { DomainError } from "../errors.js";
import type { JobLogLine } from "../events.js";

export class JobQueries {
  constructor(private readonly db: Database) {}

  async get(jobId: string) {
    const [row] = await this.db
      .select({ job: jobs, hostName: hosts.name, groupName: sourceGroups.name })
      .from(jobs)
      .innerJoin(hosts, eq(hosts.id, jobs.hostId))
      .leftJoin(sourceGroups, eq(sourceGroups.id, jobs.sourceGroupId))
      .where(eq(jobs.id, jobId));
    if (!row) throw new DomainError("NOT_FOUND", "No such job.");
    return { ...row.job, hostName: row.hostName, sourceGroupName: row.groupName };
  }

  /** Newest first, keyset-paged on the ULID id (which sorts by creation time). */
  list(filter: { hostId?: string; kind?: JobKind; status?: JobStatus; before?: string; limit: number }) {
    const where: SQL[] = [];
    if (filter.hostId) where.push(eq(jobs.hostId, filter.hostId));
    if (filter.kind) where.push(eq(jobs.kind, filter.kind));
    if (filter.status) where.push(eq(jobs.status, filter.status));
    if (filter.before) where.push(lt(jobs.id, filter.before));
    return this.db
      .select({
        id: jobs.id,
        hostId: jobs.hostId,
        hostName: hosts.name,
        kind: jobs.kind,
        status: jobs.status,
        sourceGroupName: sourceGroups.name,
        actor: jobs.actor,
        actorName: jobs.actorName,
        createdAt: jobs.createdAt,
        startedAt: jobs.startedAt,
        finishedAt: jobs.finishedAt,
        error: jobs.error,
        stats: jobs.stats,
      })
      .from(jobs)
      .innerJoin(hosts, eq(hosts.id, jobs.hostId))
      .leftJoin(sourceGroups, eq(sourceGroups.id, jobs.sourceGroupId))
      .where(where.length ? and(...where) : undefined)
      .orderBy(desc(jobs.id))
      .limit(filter.limit);
  }

  async logs(jobId: string, afterSeq: number, limit: number): Promise<JobLogLine[]> {
    const rows = await this.db
      .select()
      .from(jobLogs)
      .where(and(eq(jobLogs.jobId, jobId), gt(jobLogs.seq, afterSeq)))
      .orderBy(jobLogs.seq)
      .limit(limit);
    return rows.map((r) => ({ seq: r.seq, at: r.at.getTime(), stream: r.stream, line: r.line }));
  }

  /** The latest job of a kind on a host (e.g. the init status on the host page). */
  async latest(hostId: string, kind: JobKind) {
    const [row] = await this.db
      .select({ id: jobs.id, status: jobs.status, finishedAt: jobs.finishedAt, error: jobs.error })
      .from(jobs)
      .where(and(eq(jobs.hostId, hostId), eq(jobs.kind, kind)))
      .orderBy(desc(jobs.id))
      .limit(1);
    return row ?? null;
  }
}
