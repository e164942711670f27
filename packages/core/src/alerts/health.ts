/**
 * The backup-health view: every source group of the fleet (or of one host) with its last
 * backup, its last success, its RPO and when that is due, its unresolved alerts, and one state,
 * most urgent first. Reads the same RPO as the rule (rpo.ts), so the view and the alerts agree.
 */
import { alerts, type Database, hosts, jobs, sourceGroups } from "@restic-manager/db";
import { and, count, eq, inArray, max, ne } from "drizzle-orm";
import { groupRpos, lastSuccesses, rpoDueAt } from "./rpo.js";
import type { AlertRuleSettings } from "./rules.js";

/** Most urgent first; the index is the sort rank. */
export const BACKUP_HEALTH_STATES = ["failing", "rpo_breached", "never_backed_up", "unscheduled", "ok"] as const;
export type BackupHealthState = (typeof BACKUP_HEALTH_STATES)[number];

export class BackupHealth {
  constructor(
    private readonly db: Database,
    private readonly settings: AlertRuleSettings,
    private readonly now: () => number,
  ) {}

  async list(hostId?: string) {
    const now = this.now();
    const groups = await this.db
      .select({
        sourceGroupId: sourceGroups.id,
        sourceGroupName: sourceGroups.name,
        hostId: hosts.id,
        hostName: hosts.name,
        hostStatus: hosts.status,
      })
      .from(sourceGroups)
      .innerJoin(hosts, eq(hosts.id, sourceGroups.hostId))
      .where(and(ne(hosts.status, "revoked"), hostId ? eq(hosts.id, hostId) : undefined));
    const ids = groups.map((g) => g.sourceGroupId);
    const rpos = await groupRpos(this.db, await this.settings.book(), now, hostId);
    const successes = await lastSuccesses(this.db, ids);
    const latest = ids.length
      ? await this.db
          .select({ id: max(jobs.id) })
          .from(jobs)
          .where(
            and(
              inArray(jobs.sourceGroupId, ids),
              eq(jobs.kind, "backup"),
              inArray(jobs.status, ["succeeded", "failed", "interrupted", "cancelled"]),
            ),
          )
          .groupBy(jobs.sourceGroupId)
      : [];
    const lastJobs = latest.length
      ? await this.db
          .select({ id: jobs.id, groupId: jobs.sourceGroupId, status: jobs.status, finishedAt: jobs.finishedAt })
          .from(jobs)
          .where(
            inArray(
              jobs.id,
              latest.map((l) => l.id as string),
            ),
          )
      : [];
    const lastJob = new Map(lastJobs.map((j) => [j.groupId as string, j]));
    const open = ids.length
      ? await this.db
          .select({ groupId: alerts.sourceGroupId, n: count() })
          .from(alerts)
          .where(and(inArray(alerts.sourceGroupId, ids), ne(alerts.status, "resolved")))
          .groupBy(alerts.sourceGroupId)
      : [];
    const openAlerts = new Map(open.map((o) => [o.groupId as string, o.n]));
    const items = groups.map((g) => {
      const rpo = rpos.get(g.sourceGroupId);
      const success = successes.get(g.sourceGroupId);
      const job = lastJob.get(g.sourceGroupId);
      const dueAt = rpo ? rpoDueAt(rpo, success) : null;
      const state: BackupHealthState =
        job && (job.status === "failed" || job.status === "interrupted")
          ? "failing"
          : dueAt !== null && now > dueAt
            ? "rpo_breached"
            : !rpo
              ? "unscheduled"
              : !success
                ? "never_backed_up"
                : "ok";
      return {
        ...g,
        state,
        lastBackupAt: job?.finishedAt ?? null,
        lastBackupStatus: job?.status ?? null,
        lastBackupJobId: job?.id ?? null,
        lastSuccessAt: success ? new Date(success) : null,
        rpoMinutes: rpo ? Math.round(rpo.rpoMs / 60_000) : null,
        rpoSource: rpo?.source ?? null,
        rpoDueAt: dueAt !== null ? new Date(dueAt) : null,
        openAlerts: openAlerts.get(g.sourceGroupId) ?? 0,
      };
    });
    const rank = (s: BackupHealthState) => BACKUP_HEALTH_STATES.indexOf(s);
    items.sort(
      (a, b) =>
        rank(a.state) - rank(b.state) ||
        a.hostName.localeCompare(b.hostName) ||
        a.sourceGroupName.localeCompare(b.sourceGroupName),
    );
    const counts = Object.fromEntries(BACKUP_HEALTH_STATES.map((s) => [s, 0])) as Record<BackupHealthState, number>;
    for (const i of items) counts[i.state]++;
    return { items, counts };
  }
}
