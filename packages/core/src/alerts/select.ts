/** An alert as every reader sees it: the row with its host's and group's names. */
import { alerts, type Database, hosts, sourceGroups } from "@restic-manager/db";
import { eq } from "drizzle-orm";

export function selectAlerts(db: Database) {
  return db
    .select({
      id: alerts.id,
      rule: alerts.rule,
      severity: alerts.severity,
      status: alerts.status,
      hostId: alerts.hostId,
      hostName: hosts.name,
      sourceGroupId: alerts.sourceGroupId,
      sourceGroupName: sourceGroups.name,
      summary: alerts.summary,
      jobId: alerts.jobId,
      count: alerts.count,
      firstSeenAt: alerts.firstSeenAt,
      lastSeenAt: alerts.lastSeenAt,
      acknowledgedBy: alerts.acknowledgedBy,
      acknowledgedAt: alerts.acknowledgedAt,
      ackNote: alerts.ackNote,
      resolvedBy: alerts.resolvedBy,
      resolvedAt: alerts.resolvedAt,
      resolvedHow: alerts.resolvedHow,
    })
    .from(alerts)
    .innerJoin(hosts, eq(hosts.id, alerts.hostId))
    .leftJoin(sourceGroups, eq(sourceGroups.id, alerts.sourceGroupId))
    .$dynamic();
}

export type AlertView = Awaited<ReturnType<typeof selectAlerts>>[number];
