/**
 * Jobs: the lifecycle queued -> running -> succeeded | failed | cancelled | interrupted,
 * single-flight per host across all kinds, dispatch to the agent, and the ingest of the
 * agent's job events. Events carry (jobId, seq); a replayed event at or below the job's
 * last applied seq is acknowledged and dropped, and log lines are keyed by their job-wide
 * number, so a replay after a reconnect or a server restart never duplicates anything.
 */
import {
  type Database,
  hosts,
  type JobKind,
  type JobStatus,
  type JobTrigger,
  jobLogs,
  jobs,
  newId,
  snapshots,
  sourceGroups,
} from "@restic-manager/db";
import type {
  AgentMessage,
  BandwidthLimits,
  CommandRunPayload,
  ServerMessageType,
  ServerPayload,
} from "@restic-manager/protocol";
import { and, desc, eq, gt, inArray, lt, notInArray, type SQL, sql } from "drizzle-orm";
import { type Actor, SYSTEM_ACTOR, writeAudit } from "./audit.js";
import { DomainError } from "./errors.js";
import type { EventBus, JobLogLine } from "./events.js";
import { LogIngest } from "./log-ingest.js";

/** What the jobs service needs from the gateway; core never imports ws. */
export interface AgentLink {
  isConnected(hostId: string): boolean;
  send<T extends ServerMessageType>(hostId: string, type: T, payload: ServerPayload<T>): boolean;
}

export const ACTIVE_STATUSES: JobStatus[] = ["queued", "running"];
export { MAX_LOG_BYTES_PER_JOB, MAX_LOG_LINES_PER_JOB } from "./log-ingest.js";

/** A dispatched job the agent has not reported as running after this long was lost. */
const START_GRACE_MS = 30_000;

type JobEvent = Extract<AgentMessage, { type: "job.started" | "job.progress" | "log.stream" | "job.finished" }>;

const actorString = (a: Actor) => `${a.kind}:${a.id}`;

export interface DispatchOptions {
  trigger?: JobTrigger;
  scheduleId?: string;
  scheduledFor?: Date;
  /** Wait behind a running job instead of refusing. */
  queue?: boolean;
  /** Per-run bandwidth override; absent = the host's caps. */
  limits?: BandwidthLimits;
}

/** Secrets a command needs at send time, never stored with the job. */
export interface JobResolvers {
  hooks(groupId: string): Promise<{ preHook: string | null; postHook: string | null; timeoutSeconds: number }>;
  adminRepository(hostId: string): Promise<{ url: string; username: string | null; password: string } | null>;
}

/** restic's words for "someone else holds the lock". */
const LOCK_ERROR = /already locked|unable to create lock|repository is locked|lock .* (held|is stale)/i;

export class JobService {
  #link: AgentLink | null = null;
  #resolvers: JobResolvers | null = null;
  readonly #hostChains = new Map<string, Promise<unknown>>();
  /** Snapshot listings arriving in parts, by reportId. */
  readonly #reports = new Map<string, { hostId: string; parts: Map<number, unknown[]>; expected: number }>();
  /**
   * Hosts known to have no queued or running job, so their heartbeats (333/s with 10k agents)
   * need no query. A host leaves the set before any job of it is created (dispatch is the only
   * place jobs are inserted) and enters it when a reconcile finds nothing active.
   */
  readonly #idleHosts = new Set<string>();
  /** Bumped by every dispatch, so a reconcile that raced one does not mark its host idle. */
  #dispatches = 0;
  /** Log lines and progress, committed in groups (see log-ingest.ts). */
  readonly ingest: LogIngest;

  constructor(
    private readonly db: Database,
    private readonly events: EventBus,
    private readonly now: () => number = Date.now,
  ) {
    this.ingest = new LogIngest(db, events, now);
  }

  setAgentLink(link: AgentLink): void {
    this.#link = link;
  }

  // -------------------------------------------------------------------------------------------
  // Dispatch
  // -------------------------------------------------------------------------------------------

  /**
   * Creates the job row and sends command.run. Refuses when the host is offline. When the host is
   * busy it refuses too, unless `options.queue`: then the job waits, queued, and is sent when the
   * running one ends (a schedule over several groups runs them one after another). A job for a
   * schedule slot that already has one returns that job instead (`duplicate`).
   */
  async dispatch(
    hostId: string,
    command: { kind: JobKind; params: Record<string, unknown>; sourceGroupId?: string | null },
    actor: Actor,
    options: DispatchOptions = {},
  ): Promise<{ jobId: string; queuedBehind: boolean; duplicate: boolean }> {
    return this.#serial(hostId, async () => {
      this.#idleHosts.delete(hostId);
      this.#dispatches++;
      const jobId = newId();
      const outcome = await this.db.transaction(async (tx) => {
        const [h] = await tx.select({ name: hosts.name, status: hosts.status }).from(hosts).where(eq(hosts.id, hostId));
        if (!h) throw new DomainError("NOT_FOUND", "No such host.");
        if (h.status === "revoked")
          throw new DomainError("PRECONDITION_FAILED", `"${h.name}" is revoked; it runs no jobs.`);
        if (!this.#link?.isConnected(hostId)) {
          throw new DomainError(
            "PRECONDITION_FAILED",
            `"${h.name}" is offline, so the ${command.kind} cannot start now. Check that its agent is running.`,
          );
        }
        if (options.scheduleId && options.scheduledFor) {
          const [existing] = await tx
            .select({ id: jobs.id })
            .from(jobs)
            .where(
              and(
                eq(jobs.scheduleId, options.scheduleId),
                eq(jobs.sourceGroupId, command.sourceGroupId ?? ""),
                eq(jobs.scheduledFor, options.scheduledFor),
              ),
            );
          if (existing) return { jobId: existing.id, queuedBehind: false, duplicate: true };
        }
        const [active] = await tx
          .select({ id: jobs.id, kind: jobs.kind, status: jobs.status })
          .from(jobs)
          .where(and(eq(jobs.hostId, hostId), inArray(jobs.status, ACTIVE_STATUSES)))
          .limit(1);
        if (active && !options.queue) {
          throw new DomainError(
            "CONFLICT",
            `"${h.name}" is already running a ${active.kind} job (${active.id}, ${active.status}). Wait for it to finish or cancel it.`,
          );
        }
        await tx.insert(jobs).values({
          id: jobId,
          hostId,
          kind: command.kind,
          status: "queued",
          sourceGroupId: command.sourceGroupId ?? null,
          actor: actorString(actor),
          actorName: actor.name,
          params: command.params,
          createdAt: new Date(this.now()),
          trigger:
            options.trigger ??
            (actor.kind === "system" ? "system" : actor.kind === "maintenance" ? "maintenance" : "manual"),
          scheduleId: options.scheduleId ?? null,
          scheduledFor: options.scheduledFor ?? null,
          limits: options.limits ?? null,
        });
        await writeAudit(tx, actor, {
          action: "job.dispatch",
          target: { type: "job", id: jobId },
          summary: `started a ${command.kind} job on "${h.name}"${options.trigger && options.trigger !== "manual" ? ` (${options.trigger})` : ""}${active ? `, queued behind ${active.kind} ${active.id}` : ""}`,
        });
        return { jobId, queuedBehind: Boolean(active), duplicate: false };
      });
      if (outcome.duplicate) return outcome;
      if (!outcome.queuedBehind) await this.#send(jobId);
      else this.events.emit("job.updated", { jobId, hostId, status: "queued" });
      return outcome;
    });
  }

  /** Runs `fn` after every earlier dispatch for the host, so two never pick the same queued job. */
  #serial<T>(hostId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#hostChains.get(hostId) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#hostChains.set(hostId, settled);
    void settled.then(() => {
      if (this.#hostChains.get(hostId) === settled) this.#hostChains.delete(hostId);
    });
    return run;
  }

  /**
   * Sends a queued job's command.run. Secrets never stored with the job are added here: the
   * group's hooks for a backup, the admin credential for a prune; bandwidth caps are the job's
   * override or the host's caps now.
   */
  async #send(jobId: string): Promise<boolean> {
    const [row] = await this.db
      .select({ job: jobs, hostName: hosts.name, up: hosts.bandwidthUpKbps, down: hosts.bandwidthDownKbps })
      .from(jobs)
      .innerJoin(hosts, eq(hosts.id, jobs.hostId))
      .where(eq(jobs.id, jobId));
    if (!row) return false;
    const { job } = row;
    let payload: CommandRunPayload;
    try {
      const limits = job.limits ?? (row.up || row.down ? { uploadKbps: row.up, downloadKbps: row.down } : undefined);
      const params: Record<string, unknown> = { ...(job.params ?? {}) };
      const extra: Record<string, unknown> = {};
      if (job.kind === "backup" && job.sourceGroupId && this.#resolvers) {
        const hooks = await this.#resolvers.hooks(job.sourceGroupId);
        if (hooks.preHook || hooks.postHook) {
          params.hooks = { pre: hooks.preHook, post: hooks.postHook, timeoutSeconds: hooks.timeoutSeconds };
        }
      }
      if (job.kind === "prune" && this.#resolvers) {
        const admin = await this.#resolvers.adminRepository(job.hostId);
        if (admin) extra.adminRepository = admin;
      }
      payload = { jobId, kind: job.kind, params, ...(limits ? { limits } : {}), ...extra } as CommandRunPayload;
    } catch (e) {
      await this.#finish(jobId, job.hostId, "failed", {
        error: `The console could not prepare this job: ${(e as Error).message}`,
      });
      return false;
    }
    const sent = this.#link?.send(job.hostId, "command.run", payload) ?? false;
    if (sent) {
      await this.db
        .update(jobs)
        .set({ dispatchedAt: new Date(this.now()) })
        .where(eq(jobs.id, jobId));
      this.events.emit("job.updated", { jobId, hostId: job.hostId, status: "queued" });
    } else {
      await this.#finish(jobId, job.hostId, "failed", {
        error: `"${row.hostName}" disconnected before the job could start.`,
      });
    }
    return sent;
  }

  /**
   * Sends the host's oldest queued job when nothing is in flight on it. Called when a job ends
   * and when the agent says hello.
   */
  async dispatchNext(hostId: string): Promise<string | null> {
    if (!this.#link?.isConnected(hostId)) return null;
    return this.#serial(hostId, async () => {
      const active = await this.db
        .select({ id: jobs.id, status: jobs.status, dispatchedAt: jobs.dispatchedAt })
        .from(jobs)
        .where(and(eq(jobs.hostId, hostId), inArray(jobs.status, ACTIVE_STATUSES)))
        .orderBy(jobs.id);
      if (active.some((j) => j.status === "running" || j.dispatchedAt !== null)) return null;
      const next = active[0];
      if (!next) return null;
      await this.#send(next.id);
      return next.id;
    });
  }

  setResolvers(resolvers: JobResolvers): void {
    this.#resolvers = resolvers;
  }

  /** Backs up one source group: its paths and excludes, tagged with the group's name. */
  async runBackup(groupId: string, actor: Actor, options: DispatchOptions = {}) {
    const [group] = await this.db.select().from(sourceGroups).where(eq(sourceGroups.id, groupId));
    if (!group) throw new DomainError("NOT_FOUND", "No such source group.");
    if (group.includePaths.length === 0) {
      throw new DomainError(
        "PRECONDITION_FAILED",
        `The source group "${group.name}" has no paths yet. Add the directories to back up first.`,
      );
    }
    return this.dispatch(
      group.hostId,
      {
        kind: "backup",
        sourceGroupId: group.id,
        params: {
          paths: group.includePaths,
          excludes: group.excludePatterns,
          tags: [group.name],
          sourceGroupId: group.id,
          ...(group.preHookEnc || group.postHookEnc ? { hooksConfigured: true } : {}),
        },
      },
      actor,
      options,
    );
  }

  /** On connect: a host whose repository was never initialised gets an init job. */
  async ensureInitialised(hostId: string): Promise<void> {
    const [done] = await this.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.hostId, hostId), eq(jobs.kind, "init"), eq(jobs.status, "succeeded")))
      .limit(1);
    if (done) return;
    try {
      await this.dispatch(hostId, { kind: "init", params: {} }, SYSTEM_ACTOR);
    } catch (e) {
      // Busy (a job is already running) is fine: init runs at the next connection.
      if (!(e instanceof DomainError)) throw e;
    }
  }

  async reinit(hostId: string, confirmName: string, actor: Actor) {
    const [host] = await this.db.select({ name: hosts.name }).from(hosts).where(eq(hosts.id, hostId));
    if (!host) throw new DomainError("NOT_FOUND", "No such host.");
    if (confirmName.trim() !== host.name) {
      throw new DomainError("BAD_REQUEST", `Type the host name "${host.name}" exactly to confirm.`);
    }
    await writeAudit(this.db, actor, {
      action: "host.repo_reinit",
      target: { type: "host", id: hostId },
      summary: `asked to re-initialise the repository of "${host.name}"`,
    });
    return this.dispatch(hostId, { kind: "init", params: {} }, actor);
  }

  /**
   * Asks the agent to stop the job. A job the agent does not know (an orphan, or the agent is
   * offline) is marked cancelled here, since nothing else would ever finish it.
   */
  async cancel(jobId: string, actor: Actor) {
    const job = await this.get(jobId);
    if (!ACTIVE_STATUSES.includes(job.status)) {
      throw new DomainError("CONFLICT", `This job already ended (${job.status}).`);
    }
    await writeAudit(this.db, actor, {
      action: "job.cancel",
      target: { type: "job", id: jobId },
      summary: `asked to cancel the ${job.kind} job`,
    });
    const sent = this.#link?.send(job.hostId, "command.cancel", { jobId }) ?? false;
    if (!sent) {
      await this.#finish(jobId, job.hostId, "cancelled", { error: "Cancelled while the agent was not connected." });
    }
    return { sentToAgent: sent };
  }

  // -------------------------------------------------------------------------------------------
  // Ingest of agent events
  // -------------------------------------------------------------------------------------------

  /**
   * Applies one job event from `hostId`'s agent. Returns the seq to acknowledge, or null when
   * the event waits behind an earlier one that failed to store (see DeliveryGaps). Throws when
   * it could not be stored; the agent then gets no ack and resends it.
   */
  async applyEvent(hostId: string, message: JobEvent): Promise<number | null> {
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
    await this.#finish(jobId, hostId, p.status, {
      exitCode: p.exitCode,
      error: p.error,
      stats: p.summary ?? undefined,
      seq,
      at: p.at,
    });
    return seq;
  }

  async #finish(
    jobId: string,
    hostId: string,
    status: JobStatus,
    details: {
      exitCode?: number | null;
      error?: string | null;
      stats?: Record<string, unknown>;
      seq?: number;
      at?: number;
    },
  ) {
    const finishedAt = new Date(details.at ?? this.now());
    // One transaction: a job that ended is never stored without its host's last backup and
    // lock state (a half-applied finish would be acknowledged and never corrected).
    await this.db.transaction(async (tx) => {
      const [job] = await tx
        .update(jobs)
        .set({
          status,
          finishedAt,
          exitCode: details.exitCode ?? null,
          error: details.error ?? null,
          ...(details.stats ? { stats: details.stats } : {}),
          ...(details.seq ? { lastSeq: details.seq } : {}),
        })
        .where(eq(jobs.id, jobId))
        .returning({ kind: jobs.kind });
      if (job?.kind === "backup") {
        await tx.update(hosts).set({ lastBackupAt: finishedAt, lastBackupStatus: status }).where(eq(hosts.id, hostId));
      }
      if (job && job.kind !== "init") {
        if (status === "failed" && details.error && LOCK_ERROR.test(details.error)) {
          await tx
            .update(hosts)
            .set({ repoLockError: details.error.slice(0, 1024), repoLockAt: finishedAt })
            .where(eq(hosts.id, hostId));
        } else if (status === "succeeded" && job.kind !== "check") {
          // Anything that took the repository lock and got through proves no stale lock is in the way.
          await tx
            .update(hosts)
            .set({ repoLockError: null, repoLockAt: null })
            .where(and(eq(hosts.id, hostId), sql`${hosts.repoLockError} IS NOT NULL`));
        }
      }
    });
    this.events.emit("job.updated", { jobId, hostId, status });
    // Not awaited: #finish may run inside the host's dispatch chain (a failed send).
    if (!ACTIVE_STATUSES.includes(status)) {
      this.dispatchNext(hostId).catch(() => {
        // The next queued job is retried on the next finish or hello.
      });
    }
  }

  /**
   * From each heartbeat: jobs the console thinks are running on this host but the agent does
   * not have (it restarted, or the command was lost) are marked interrupted. A job the agent
   * still holds undelivered events of (`heldJobIds`: it ended, but its last events are not
   * acknowledged yet), or one with a gap on this side, is not lost: its end is on the way.
   */
  async reconcileRunning(hostId: string, runningJobIds: string[], heldJobIds: string[] = []): Promise<void> {
    if (this.#reportsLost.has(hostId)) this.#requestReports(hostId);
    if (heldJobIds.length > 0) runningJobIds = [...new Set([...runningJobIds, ...heldJobIds])];
    if (runningJobIds.length === 0 && this.#idleHosts.has(hostId)) return;
    const dispatchesBefore = this.#dispatches;
    const startCutoff = new Date(this.now() - START_GRACE_MS);
    const conditions: SQL[] = [eq(jobs.hostId, hostId), inArray(jobs.status, ACTIVE_STATUSES)];
    if (runningJobIds.length) conditions.push(notInArray(jobs.id, runningJobIds));
    const lost = await this.db
      .select({ id: jobs.id, status: jobs.status, dispatchedAt: jobs.dispatchedAt })
      .from(jobs)
      .where(and(...conditions));
    if (runningJobIds.length === 0 && lost.length === 0 && this.#dispatches === dispatchesBefore) {
      this.#idleHosts.add(hostId);
    }
    for (const job of lost) {
      // A queued job may simply not have reached the agent yet.
      if (job.status === "queued" && (!job.dispatchedAt || job.dispatchedAt > startCutoff)) continue;
      if (this.ingest.gaps.has(job.id)) continue;
      await this.#finish(job.id, hostId, "interrupted", {
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
      await this.#finish(job.id, job.hostId, "interrupted", {
        error: `The agent has been away for more than ${Math.round(leaseMs / 60_000)} minutes.`,
      });
    }
    return stale.length;
  }

  // -------------------------------------------------------------------------------------------
  // Snapshots and repository stats
  // -------------------------------------------------------------------------------------------

  /**
   * Hosts whose last snapshot listing or repository stats could not be stored. Their agent is
   * asked to send them again (`reports.resend`) from its next heartbeats until one is stored,
   * so the snapshot list converges with the repository after a storage failure.
   */
  readonly #reportsLost = new Map<string, number>();
  static readonly REPORT_RESEND_INTERVAL_MS = 15_000;

  #requestReports(hostId: string): void {
    const last = this.#reportsLost.get(hostId) ?? 0;
    if (this.now() - last < JobService.REPORT_RESEND_INTERVAL_MS) return;
    this.#reportsLost.set(hostId, this.now());
    // Fire and forget: the answer is the reports themselves; an old agent says method_not_found.
    this.#link?.send(hostId, "rpc.request", { id: `reports-${newId()}`, method: "reports.resend", params: {} });
  }

  async #storeReport(hostId: string, store: () => Promise<void>): Promise<void> {
    try {
      await store();
    } catch (e) {
      // Asked for again at the host's next heartbeat.
      if (!this.#reportsLost.has(hostId)) this.#reportsLost.set(hostId, 0);
      throw e;
    }
    this.#reportsLost.delete(hostId);
  }

  /** Collects the parts of a snapshot listing; the last part replaces the host's list atomically. */
  async applySnapshotsReport(
    hostId: string,
    report: { reportId: string; part: number; parts: number; snapshots: ReportedSnapshot[] },
  ): Promise<void> {
    let entry = this.#reports.get(report.reportId);
    if (!entry || entry.hostId !== hostId) {
      entry = { hostId, parts: new Map(), expected: report.parts };
      this.#reports.set(report.reportId, entry);
    }
    entry.parts.set(report.part, report.snapshots);
    if (entry.parts.size < entry.expected) return;
    this.#reports.delete(report.reportId);
    const all = [...entry.parts.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, s]) => s as ReportedSnapshot[]);
    await this.#storeReport(hostId, () => this.#replaceSnapshots(hostId, all));
    this.events.emit("host.snapshots", { hostId });
  }

  async #replaceSnapshots(hostId: string, all: ReportedSnapshot[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.delete(snapshots).where(eq(snapshots.hostId, hostId));
      for (let i = 0; i < all.length; i += 200) {
        await tx.insert(snapshots).values(
          all.slice(i, i + 200).map((s) => ({
            hostId,
            snapshotId: s.id,
            shortId: s.shortId,
            time: new Date(s.time),
            hostname: s.hostname,
            paths: s.paths,
            tags: s.tags,
            summary: s.summary ?? null,
          })),
        );
      }
      await tx.update(hosts).set({ snapshotCount: all.length }).where(eq(hosts.id, hostId));
    });
  }

  async applyRepoStats(
    hostId: string,
    stats: { totalSizeBytes: number; totalUncompressedSizeBytes?: number | null; at?: number },
  ): Promise<void> {
    await this.#storeReport(hostId, async () => {
      await this.db
        .update(hosts)
        .set({
          repoSizeBytes: stats.totalSizeBytes,
          repoRawSizeBytes: stats.totalUncompressedSizeBytes ?? null,
          repoStatsAt: new Date(stats.at ?? this.now()),
        })
        .where(eq(hosts.id, hostId));
    });
    this.events.emit("host.snapshots", { hostId });
  }

  // -------------------------------------------------------------------------------------------
  // Queries
  // -------------------------------------------------------------------------------------------

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

  snapshots(hostId: string, options: { limit: number; offset: number }) {
    return this.db
      .select()
      .from(snapshots)
      .where(eq(snapshots.hostId, hostId))
      .orderBy(desc(snapshots.time))
      .limit(options.limit)
      .offset(options.offset);
  }
}

export interface ReportedSnapshot {
  id: string;
  shortId: string;
  time: number;
  hostname: string;
  paths: string[];
  tags: string[];
  summary?: Record<string, unknown> | null;
}
