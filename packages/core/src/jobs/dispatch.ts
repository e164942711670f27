/**
 * Dispatch: creates job rows and sends `command.run`, single-flight per host across all kinds
 * (a job waits, queued, behind the running one when asked to), adds the secrets a command needs
 * only at send time, sends the next queued job when one ends, and cancels.
 */
import { type Database, hosts, type JobKind, type JobStatus, type JobTrigger, jobs, newId } from "@restic-manager/db";
import type { BandwidthLimits, CommandRunPayload } from "@restic-manager/protocol";
import { and, eq, inArray } from "drizzle-orm";
import type { AgentLink } from "../agent-link.js";
import { type Actor, writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";
import type { EventBus } from "../events.js";
import { ACTIVE_STATUSES, type FinishDetails, finishJob, type HostActivity } from "./finish.js";

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

export interface JobCommand {
  kind: JobKind;
  params: Record<string, unknown>;
  sourceGroupId?: string | null;
}

export class JobDispatcher {
  readonly #hostChains = new Map<string, Promise<unknown>>();

  constructor(
    private readonly db: Database,
    private readonly events: EventBus,
    private readonly link: AgentLink,
    private readonly activity: HostActivity,
    private readonly resolvers: JobResolvers,
    private readonly now: () => number = Date.now,
  ) {
    // A job that ended frees its host: the next queued job goes out. Not awaited, since a job
    // may end inside the host's dispatch chain (a failed send); a failure here is retried on
    // the next finish or hello.
    events.on("job.updated", ({ hostId, status }) => {
      if (!ACTIVE_STATUSES.includes(status as JobStatus)) this.dispatchNext(hostId).catch(() => undefined);
    });
  }

  /**
   * Creates the job row and sends command.run. Refuses when the host is offline. When the host is
   * busy it refuses too, unless `options.queue`: then the job waits, queued, and is sent when the
   * running one ends (a schedule over several groups runs them one after another). A job for a
   * schedule slot that already has one returns that job instead (`duplicate`).
   */
  async dispatch(
    hostId: string,
    command: JobCommand,
    actor: Actor,
    options: DispatchOptions = {},
  ): Promise<{ jobId: string; queuedBehind: boolean; duplicate: boolean }> {
    return this.#serial(hostId, async () => {
      this.activity.busy(hostId);
      const jobId = newId();
      const outcome = await this.db.transaction(async (tx) => {
        const [h] = await tx.select({ name: hosts.name, status: hosts.status }).from(hosts).where(eq(hosts.id, hostId));
        if (!h) throw new DomainError("NOT_FOUND", "No such host.");
        if (h.status === "revoked")
          throw new DomainError("PRECONDITION_FAILED", `"${h.name}" is revoked; it runs no jobs.`);
        if (!this.link.isConnected(hostId)) {
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

  #finish(job: { id: string; hostId: string }, status: "failed" | "cancelled", details: FinishDetails) {
    return finishJob(this.db, this.events, job, status, details, this.now);
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
      if (job.kind === "backup" && job.sourceGroupId) {
        const hooks = await this.resolvers.hooks(job.sourceGroupId);
        if (hooks.preHook || hooks.postHook) {
          params.hooks = { pre: hooks.preHook, post: hooks.postHook, timeoutSeconds: hooks.timeoutSeconds };
        }
      }
      if (job.kind === "prune") {
        const admin = await this.resolvers.adminRepository(job.hostId);
        if (admin) extra.adminRepository = admin;
      }
      payload = { jobId, kind: job.kind, params, ...(limits ? { limits } : {}), ...extra } as CommandRunPayload;
    } catch (e) {
      await this.#finish(job, "failed", { error: `The console could not prepare this job: ${(e as Error).message}` });
      return false;
    }
    const sent = this.link.send(job.hostId, "command.run", payload);
    if (sent) {
      await this.db
        .update(jobs)
        .set({ dispatchedAt: new Date(this.now()) })
        .where(eq(jobs.id, jobId));
      this.events.emit("job.updated", { jobId, hostId: job.hostId, status: "queued" });
    } else {
      await this.#finish(job, "failed", { error: `"${row.hostName}" disconnected before the job could start.` });
    }
    return sent;
  }

  /**
   * Sends the host's oldest queued job when nothing is in flight on it. Called when a job ends
   * and when the agent says hello.
   */
  async dispatchNext(hostId: string): Promise<string | null> {
    if (!this.link.isConnected(hostId)) return null;
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

  /**
   * Asks the agent to stop the job. A job the agent does not know (an orphan, or the agent is
   * offline) is marked cancelled here, since nothing else would ever finish it.
   */
  async cancel(jobId: string, actor: Actor) {
    const [job] = await this.db
      .select({ id: jobs.id, hostId: jobs.hostId, kind: jobs.kind, status: jobs.status })
      .from(jobs)
      .where(eq(jobs.id, jobId));
    if (!job) throw new DomainError("NOT_FOUND", "No such job.");
    if (!ACTIVE_STATUSES.includes(job.status)) {
      throw new DomainError("CONFLICT", `This job already ended (${job.status}).`);
    }
    await writeAudit(this.db, actor, {
      action: "job.cancel",
      target: { type: "job", id: jobId },
      summary: `asked to cancel the ${job.kind} job`,
    });
    const sent = this.link.send(job.hostId, "command.cancel", { jobId });
    if (!sent) await this.#finish(job, "cancelled", { error: "Cancelled while the agent was not connected." });
    return { sentToAgent: sent };
  }
}
