/**
 * An alert's life: raised (or repeated: count and last-seen go up), acknowledged (who, when,
 * note), resolved automatically when its condition clears or by hand. At most one unresolved
 * alert per (rule, host, group), enforced by a partial unique index. Every change writes an
 * audit row; opening and resolving queue notifications.
 */
import { alerts, type Database, newId } from "@restic-manager/db";
import type { AlertRule, AlertSeverity, AlertStatus } from "@restic-manager/protocol";
import { and, count, desc, eq, inArray, lt, ne, type SQL } from "drizzle-orm";
import { type Actor, SYSTEM_ACTOR, writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";
import type { EventBus } from "../events.js";
import type { DeliveryQueue } from "./delivery.js";
import { RULE_TITLES } from "./message.js";
import { selectAlerts } from "./select.js";

export interface RaiseInput {
  rule: AlertRule;
  hostId: string;
  sourceGroupId?: string | null | undefined;
  severity: AlertSeverity;
  summary: string;
  jobId?: string | null | undefined;
  /** false: a condition re-checked by the ticker; an unresolved alert for it is left as it is. */
  repeat?: boolean;
}

export interface AlertListQuery {
  status?: AlertStatus | "unresolved" | undefined;
  hostId?: string | undefined;
  rule?: AlertRule | undefined;
  severity?: AlertSeverity | undefined;
  /** The last id of the previous page (newest first). */
  before?: string | undefined;
  limit: number;
}

export class AlertLifecycle {
  constructor(
    private readonly db: Database,
    private readonly events: EventBus,
    private readonly delivery: DeliveryQueue,
    private readonly now: () => number,
  ) {}

  /** Opens an alert, or repeats the unresolved one. Returns its id and whether it is new. */
  async raise(input: RaiseInput): Promise<{ alertId: string; opened: boolean } | null> {
    try {
      return await this.#raise(input);
    } catch (e) {
      // Two raises of one condition at once: the other opened it first; this one is a repeat.
      if (!/UNIQUE constraint failed: alerts\./.test(String((e as Error).message) + String((e as Error).cause ?? ""))) {
        throw e;
      }
      return this.#raise(input);
    }
  }

  async #raise(input: RaiseInput): Promise<{ alertId: string; opened: boolean }> {
    const groupKey = input.sourceGroupId ?? "";
    const at = new Date(this.now());
    const result = await this.db.transaction(async (tx) => {
      const [current] = await tx
        .select({ id: alerts.id, count: alerts.count })
        .from(alerts)
        .where(
          and(
            eq(alerts.rule, input.rule),
            eq(alerts.hostId, input.hostId),
            eq(alerts.groupKey, groupKey),
            ne(alerts.status, "resolved"),
          ),
        );
      if (current) {
        if (input.repeat === false) return { alertId: current.id, opened: false, changed: false };
        await tx
          .update(alerts)
          .set({ count: current.count + 1, lastSeenAt: at, summary: input.summary, jobId: input.jobId ?? null })
          .where(eq(alerts.id, current.id));
        await writeAudit(tx, SYSTEM_ACTOR, {
          action: "alert.repeated",
          target: { type: "alert", id: current.id },
          summary: `${RULE_TITLES[input.rule]} again (${current.count + 1}x): ${input.summary}`,
        });
        return { alertId: current.id, opened: false, changed: true };
      }
      const id = newId(at.getTime());
      await tx.insert(alerts).values({
        id,
        rule: input.rule,
        hostId: input.hostId,
        sourceGroupId: input.sourceGroupId ?? null,
        groupKey,
        severity: input.severity,
        summary: input.summary,
        jobId: input.jobId ?? null,
        firstSeenAt: at,
        lastSeenAt: at,
      });
      await writeAudit(tx, SYSTEM_ACTOR, {
        action: "alert.opened",
        target: { type: "alert", id },
        summary: `${RULE_TITLES[input.rule]} (${input.severity}): ${input.summary}`,
      });
      return { alertId: id, opened: true, changed: true };
    });
    if (result.changed) this.events.emit("alert.changed", { alertId: result.alertId, hostId: input.hostId });
    if (result.opened) await this.delivery.enqueue(result.alertId, "opened");
    return { alertId: result.alertId, opened: result.opened };
  }

  /** The condition cleared: resolves the unresolved alert of (rule, host, group), if any. */
  async clear(rule: AlertRule, hostId: string, sourceGroupId: string | null, reason: string): Promise<string | null> {
    const [current] = await this.db
      .select({ id: alerts.id })
      .from(alerts)
      .where(
        and(
          eq(alerts.rule, rule),
          eq(alerts.hostId, hostId),
          eq(alerts.groupKey, sourceGroupId ?? ""),
          ne(alerts.status, "resolved"),
        ),
      );
    if (!current) return null;
    await this.#resolve(current.id, SYSTEM_ACTOR, "auto", reason);
    return current.id;
  }

  async acknowledge(alertId: string, actor: Actor, note: string | null) {
    const alert = await this.get(alertId);
    if (alert.status === "resolved") {
      throw new DomainError("CONFLICT", "This alert is already resolved; there is nothing to acknowledge.");
    }
    const at = new Date(this.now());
    await this.db.transaction(async (tx) => {
      await tx
        .update(alerts)
        .set({ status: "acknowledged", acknowledgedBy: actor.name, acknowledgedAt: at, ackNote: note })
        .where(eq(alerts.id, alertId));
      await writeAudit(tx, actor, {
        action: "alert.acknowledge",
        target: { type: "alert", id: alertId },
        summary: `acknowledged "${RULE_TITLES[alert.rule]}" on "${alert.hostName}"${note ? `: ${note}` : ""}`,
      });
    });
    this.events.emit("alert.changed", { alertId, hostId: alert.hostId });
    return this.get(alertId);
  }

  /** Resolving by hand; the alert opens again if its condition is seen again. */
  async resolve(alertId: string, actor: Actor, note: string | null) {
    const alert = await this.get(alertId);
    if (alert.status === "resolved") throw new DomainError("CONFLICT", "This alert is already resolved.");
    await this.#resolve(alertId, actor, "manual", note ?? "resolved by hand");
    return this.get(alertId);
  }

  async #resolve(alertId: string, actor: Actor, how: "auto" | "manual", reason: string) {
    const at = new Date(this.now());
    const done = await this.db.transaction(async (tx) => {
      const [row] = await tx
        .update(alerts)
        .set({ status: "resolved", resolvedAt: at, resolvedBy: actor.name, resolvedHow: how })
        .where(and(eq(alerts.id, alertId), ne(alerts.status, "resolved")))
        .returning({ rule: alerts.rule, hostId: alerts.hostId });
      if (!row) return null;
      await writeAudit(tx, actor, {
        action: "alert.resolved",
        target: { type: "alert", id: alertId },
        summary: `${RULE_TITLES[row.rule]} resolved ${how === "auto" ? "automatically" : "by hand"}: ${reason}`,
      });
      return row;
    });
    if (!done) return;
    this.events.emit("alert.changed", { alertId, hostId: done.hostId });
    await this.delivery.enqueue(alertId, "resolved");
  }

  async get(alertId: string) {
    const [row] = await selectAlerts(this.db).where(eq(alerts.id, alertId));
    if (!row) throw new DomainError("NOT_FOUND", "That alert does not exist (its host was removed?).");
    return row;
  }

  async list(q: AlertListQuery) {
    const where = this.#where(q);
    const items = await selectAlerts(this.db)
      .where(and(...where, ...(q.before ? [lt(alerts.id, q.before)] : [])))
      .orderBy(desc(alerts.id))
      .limit(q.limit);
    const [total] = await this.db
      .select({ n: count() })
      .from(alerts)
      .where(where.length ? and(...where) : undefined);
    return { items, total: total?.n ?? 0 };
  }

  /** Unresolved alerts, by severity: the header badge. */
  async openCount() {
    const rows = await this.db
      .select({ severity: alerts.severity, n: count() })
      .from(alerts)
      .where(inArray(alerts.status, ["open", "acknowledged"]))
      .groupBy(alerts.severity);
    const bySeverity = { critical: 0, warning: 0, info: 0 };
    for (const r of rows) bySeverity[r.severity] = r.n;
    return { total: rows.reduce((a, r) => a + r.n, 0), bySeverity };
  }

  #where(q: AlertListQuery): SQL[] {
    const where: SQL[] = [];
    if (q.status === "unresolved") where.push(ne(alerts.status, "resolved"));
    else if (q.status) where.push(eq(alerts.status, q.status));
    if (q.hostId) where.push(eq(alerts.hostId, q.hostId));
    if (q.rule) where.push(eq(alerts.rule, q.rule));
    if (q.severity) where.push(eq(alerts.severity, q.severity));
    return where;
  }
}
