/**
 * "Run X now" for every job kind, in one place: what each kind needs checked and sent, whoever
 * asks (an operator's button, a script, a schedule, the maintenance ticker, a connecting agent).
 * Each goes through the dispatcher, so single-flight, queueing and audit are the same for all.
 */
import { type Database, hosts, jobs, sourceGroups } from "@restic-manager/db";
import { and, eq } from "drizzle-orm";
import { type Actor, SYSTEM_ACTOR, writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";
import { readMaintenanceSettings } from "../maintenance-settings.js";
import { hasRetention, retentionOf } from "../sources.js";
import type { DispatchOptions, JobDispatcher } from "./dispatch.js";

const triggerOf = (actor: Actor) => (actor.kind === "maintenance" ? "maintenance" : "manual");

export class RunNow {
  constructor(
    private readonly db: Database,
    private readonly dispatcher: JobDispatcher,
  ) {}

  /** Backs up one source group: its paths and excludes, tagged with the group's name. */
  async backup(groupId: string, actor: Actor, options: DispatchOptions = {}) {
    const [group] = await this.db.select().from(sourceGroups).where(eq(sourceGroups.id, groupId));
    if (!group) throw new DomainError("NOT_FOUND", "No such source group.");
    if (group.includePaths.length === 0) {
      throw new DomainError(
        "PRECONDITION_FAILED",
        `The source group "${group.name}" has no paths yet. Add the directories to back up first.`,
      );
    }
    return this.dispatcher.dispatch(
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
  async initIfNeeded(hostId: string): Promise<void> {
    const [done] = await this.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.hostId, hostId), eq(jobs.kind, "init"), eq(jobs.status, "succeeded")))
      .limit(1);
    if (done) return;
    try {
      await this.dispatcher.dispatch(hostId, { kind: "init", params: {} }, SYSTEM_ACTOR);
    } catch (e) {
      // Busy (a job is already running) is fine: init runs at the next connection.
      if (!(e instanceof DomainError)) throw e;
    }
  }

  /** The danger zone's re-initialisation: the operator types the host's name to confirm. */
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
    return this.dispatcher.dispatch(hostId, { kind: "init", params: {} }, actor);
  }

  /** Forget for one group, or for every group of the host that has a retention policy. */
  async forget(hostId: string, groupId: string | null, actor: Actor) {
    const groups = await this.db
      .select()
      .from(sourceGroups)
      .where(
        groupId ? and(eq(sourceGroups.hostId, hostId), eq(sourceGroups.id, groupId)) : eq(sourceGroups.hostId, hostId),
      );
    if (groupId && groups.length === 0) throw new DomainError("NOT_FOUND", "No such source group on this host.");
    const withPolicy = groups.filter((g) => hasRetention(retentionOf(g)));
    if (withPolicy.length === 0) {
      throw new DomainError(
        "PRECONDITION_FAILED",
        groupId
          ? "This group has no retention policy, so forget would keep everything. Set one on the group first."
          : "No source group of this host has a retention policy, so forget has nothing to do. Set one on a group first.",
      );
    }
    const jobIds: string[] = [];
    for (const g of withPolicy) {
      const r = await this.dispatcher.dispatch(
        hostId,
        { kind: "forget", sourceGroupId: g.id, params: { ...retentionOf(g), tags: [g.name], prune: false } },
        actor,
        { queue: true, trigger: triggerOf(actor) },
      );
      jobIds.push(r.jobId);
    }
    return { jobIds, skipped: groups.filter((g) => !withPolicy.includes(g)).map((g) => g.name) };
  }

  /** Prune; the dispatcher adds the admin credential when one is set. */
  prune(hostId: string, actor: Actor) {
    return this.dispatcher.dispatch(hostId, { kind: "prune", params: { maxUnused: null } }, actor, {
      trigger: triggerOf(actor),
    });
  }

  /** Check reading `subsetPct` % of the data (default: the host's maintenance setting). */
  async check(hostId: string, actor: Actor, subsetPct?: number) {
    const pct = subsetPct ?? (await readMaintenanceSettings(this.db, hostId)).checkSubsetPct;
    if (!Number.isInteger(pct) || pct < 0 || pct > 100) {
      throw new DomainError("BAD_REQUEST", "checkSubsetPct: a whole percentage from 0 to 100.");
    }
    return this.dispatcher.dispatch(
      hostId,
      { kind: "check", params: { readDataSubset: pct > 0 ? `${pct}%` : null } },
      actor,
      { trigger: triggerOf(actor) },
    );
  }

  /** Removes stale locks only: a lock of a live restic process elsewhere is left alone. */
  unlock(hostId: string, actor: Actor) {
    return this.dispatcher.dispatch(hostId, { kind: "unlock", params: { removeAll: false } }, actor);
  }
}
