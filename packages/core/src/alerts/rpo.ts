/**
 * Recovery point objectives of source groups, one implementation for the RPO rule and the
 * backup-health view. A group covered by an enabled schedule has an RPO: its own `rpoMinutes`,
 * or twice the shortest interval of its schedules plus the rule's grace. It is counted from the
 * last success or from when a covering schedule last changed (enabling a paused one starts the
 * clock afresh). Paused schedules, or none, give no RPO.
 */
import { type Database, hosts, jobs, scheduleSourceGroups, schedules, sourceGroups } from "@restic-manager/db";
import { and, eq, inArray, max, ne } from "drizzle-orm";
import { parseCron } from "../cron.js";
import type { RuleBook } from "./rules.js";

const MINUTE = 60_000;

export interface GroupRpo {
  groupId: string;
  groupName: string;
  hostId: string;
  hostName: string;
  rpoMs: number;
  /** "group": the group's own setting; "schedule": derived from its schedules. */
  source: "group" | "schedule";
  /** The latest change of a covering schedule: the RPO is never counted from before it. */
  since: number;
}

/** Groups covered by an enabled schedule, with their RPO. */
export async function groupRpos(db: Database, book: RuleBook, now: number, hostId?: string) {
  const covered = await db
    .select({
      groupId: sourceGroups.id,
      groupName: sourceGroups.name,
      rpoMinutes: sourceGroups.rpoMinutes,
      hostId: hosts.id,
      hostName: hosts.name,
      timezone: hosts.timezone,
      cron: schedules.cron,
      scheduleChangedAt: schedules.updatedAt,
    })
    .from(sourceGroups)
    .innerJoin(scheduleSourceGroups, eq(scheduleSourceGroups.sourceGroupId, sourceGroups.id))
    .innerJoin(schedules, and(eq(schedules.id, scheduleSourceGroups.scheduleId), eq(schedules.enabled, true)))
    .innerJoin(hosts, and(eq(hosts.id, sourceGroups.hostId), ne(hosts.status, "revoked")))
    .where(hostId ? eq(sourceGroups.hostId, hostId) : undefined);
  const groups = new Map<string, GroupRpo>();
  for (const row of covered) {
    let intervalMs: number;
    try {
      const [a, b] = parseCron(row.cron, row.timezone).cron.nextRuns(2, new Date(now));
      if (!a || !b) continue;
      intervalMs = b.getTime() - a.getTime();
    } catch {
      continue;
    }
    const grace = (book.effective(row.hostId, "rpo_breached").threshold ?? 60) * MINUTE;
    const own = row.rpoMinutes !== null;
    const rpoMs = own ? (row.rpoMinutes as number) * MINUTE : 2 * intervalMs + grace;
    const since = row.scheduleChangedAt.getTime();
    const g = groups.get(row.groupId);
    if (!g) {
      groups.set(row.groupId, {
        groupId: row.groupId,
        groupName: row.groupName,
        hostId: row.hostId,
        hostName: row.hostName,
        rpoMs,
        source: own ? "group" : "schedule",
        since,
      });
    } else {
      g.rpoMs = Math.min(g.rpoMs, rpoMs);
      g.since = Math.max(g.since, since);
    }
  }
  return groups;
}

/** The time of each group's last successful backup. */
export async function lastSuccesses(db: Database, groupIds: string[]): Promise<Map<string, number>> {
  if (groupIds.length === 0) return new Map();
  const rows = await db
    .select({ groupId: jobs.sourceGroupId, at: max(jobs.finishedAt) })
    .from(jobs)
    .where(and(inArray(jobs.sourceGroupId, groupIds), eq(jobs.kind, "backup"), eq(jobs.status, "succeeded")))
    .groupBy(jobs.sourceGroupId);
  return new Map(rows.map((r) => [r.groupId as string, r.at ? new Date(r.at).getTime() : 0]));
}

/** When the group breaches its RPO (it has, when this is in the past). */
export const rpoDueAt = (g: GroupRpo, lastSuccess: number | undefined) => Math.max(lastSuccess ?? 0, g.since) + g.rpoMs;
