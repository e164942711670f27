/**
 * Alert rule settings: built-in defaults, the fleet's values and per-host overrides, resolved
 * into one effective setting per (host, rule). A null override inherits the level above.
 */
import { alertRuleSettings, type Database, hosts, sourceGroups } from "@restic-manager/db";
import { ALERT_RULES, type AlertRule, type AlertSeverity } from "@restic-manager/protocol";
import { and, eq } from "drizzle-orm";
import { type Actor, writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";

export interface RuleSetting {
  enabled: boolean;
  severity: AlertSeverity;
  /** agent_offline: minutes; stale_lock: hours; rpo_breached: grace minutes; others: unused. */
  threshold: number | null;
}

export const RULE_DEFAULTS: Record<AlertRule, RuleSetting> = {
  backup_failed: { enabled: true, severity: "critical", threshold: null },
  rpo_breached: { enabled: true, severity: "critical", threshold: 60 },
  agent_offline: { enabled: true, severity: "warning", threshold: 15 },
  check_failed: { enabled: true, severity: "critical", threshold: null },
  stale_lock: { enabled: true, severity: "warning", threshold: 6 },
  repo_unreachable: { enabled: true, severity: "critical", threshold: null },
  run_abandoned: { enabled: true, severity: "warning", threshold: null },
};

/** What a threshold counts, for forms and docs. */
export const RULE_THRESHOLD_UNITS: Record<AlertRule, "minutes" | "hours" | null> = {
  backup_failed: null,
  rpo_breached: "minutes",
  agent_offline: "minutes",
  check_failed: null,
  stale_lock: "hours",
  repo_unreachable: null,
  run_abandoned: null,
};

export interface RuleOverride {
  enabled?: boolean | null | undefined;
  severity?: AlertSeverity | null | undefined;
  threshold?: number | null | undefined;
}

export interface AlertRulesUpdate {
  /** Absent: the fleet defaults. */
  hostId?: string | null | undefined;
  rules: Partial<Record<AlertRule, RuleOverride>>;
  /** Fleet scope only: re-send an unacknowledged open alert this often; null = never. */
  renotifyMinutes?: number | null | undefined;
  /** Host scope only: per source group RPO in minutes; null = derived from its schedules. */
  groupRpo?: { sourceGroupId: string; rpoMinutes: number | null }[] | undefined;
}

const FLEET = "fleet";
type Row = typeof alertRuleSettings.$inferSelect;

/** All settings rows at one moment, answering "what applies to this host". */
export class RuleBook {
  constructor(private readonly rows: Row[]) {}

  #row(scope: string, rule: AlertRule) {
    return this.rows.find((r) => r.scope === scope && r.rule === rule);
  }

  effective(hostId: string | null, rule: AlertRule): RuleSetting {
    const base = RULE_DEFAULTS[rule];
    const fleet = this.#row(FLEET, rule);
    const host = hostId ? this.#row(hostId, rule) : undefined;
    return {
      enabled: host?.enabled ?? fleet?.enabled ?? base.enabled,
      severity: host?.severity ?? fleet?.severity ?? base.severity,
      threshold: host?.threshold ?? fleet?.threshold ?? base.threshold,
    };
  }

  renotifyMinutes(): number | null {
    return this.rows.find((r) => r.scope === FLEET && r.renotifyMinutes !== null)?.renotifyMinutes ?? null;
  }

  overrides(hostId: string): Partial<Record<AlertRule, RuleOverride>> {
    const out: Partial<Record<AlertRule, RuleOverride>> = {};
    for (const r of this.rows.filter((row) => row.scope === hostId)) {
      out[r.rule] = { enabled: r.enabled, severity: r.severity, threshold: r.threshold };
    }
    return out;
  }
}

export class AlertRuleSettings {
  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {}

  async book(): Promise<RuleBook> {
    return new RuleBook(await this.db.select().from(alertRuleSettings));
  }

  /** The fleet's effective settings, or a host's effective settings with its overrides and group RPOs. */
  async get(hostId?: string | null) {
    const book = await this.book();
    const rules = Object.fromEntries(ALERT_RULES.map((r) => [r, book.effective(hostId ?? null, r)])) as Record<
      AlertRule,
      RuleSetting
    >;
    if (!hostId) return { hostId: null, rules, renotifyMinutes: book.renotifyMinutes(), overrides: {}, groups: [] };
    await this.#host(hostId);
    const groups = await this.db
      .select({ sourceGroupId: sourceGroups.id, name: sourceGroups.name, rpoMinutes: sourceGroups.rpoMinutes })
      .from(sourceGroups)
      .where(eq(sourceGroups.hostId, hostId));
    return { hostId, rules, renotifyMinutes: book.renotifyMinutes(), overrides: book.overrides(hostId), groups };
  }

  async update(input: AlertRulesUpdate, actor: Actor) {
    const hostId = input.hostId ?? null;
    const host = hostId ? await this.#host(hostId) : null;
    if (!hostId && input.groupRpo?.length) {
      throw new DomainError("BAD_REQUEST", "groupRpo: a source group's RPO is set on its host, pass hostId.");
    }
    if (hostId && input.renotifyMinutes !== undefined) {
      throw new DomainError("BAD_REQUEST", "renotifyMinutes: the re-notification interval is a fleet setting.");
    }
    const scope = hostId ?? FLEET;
    const at = new Date(this.now());
    const changed: string[] = [];
    await this.db.transaction(async (tx) => {
      for (const rule of ALERT_RULES) {
        const o = input.rules[rule];
        const renotify = rule === "backup_failed" && !hostId ? input.renotifyMinutes : undefined;
        if (!o && renotify === undefined) continue;
        const values = {
          ...(o?.enabled !== undefined ? { enabled: o.enabled } : {}),
          ...(o?.severity !== undefined ? { severity: o.severity } : {}),
          ...(o?.threshold !== undefined ? { threshold: o.threshold } : {}),
          // The interval is stored once, on the fleet row of the first rule.
          ...(renotify !== undefined ? { renotifyMinutes: renotify } : {}),
          updatedAt: at,
        };
        await tx
          .insert(alertRuleSettings)
          .values({ scope, hostId, rule, ...values })
          .onConflictDoUpdate({ target: [alertRuleSettings.scope, alertRuleSettings.rule], set: values });
        changed.push(rule);
      }
      for (const g of input.groupRpo ?? []) {
        const [row] = await tx
          .update(sourceGroups)
          .set({ rpoMinutes: g.rpoMinutes })
          .where(and(eq(sourceGroups.id, g.sourceGroupId), eq(sourceGroups.hostId, hostId as string)))
          .returning({ name: sourceGroups.name });
        if (!row) throw new DomainError("BAD_REQUEST", "groupRpo: a source group does not exist on this host.");
        changed.push(`RPO of "${row.name}" ${g.rpoMinutes === null ? "derived" : `${g.rpoMinutes} min`}`);
      }
      await writeAudit(tx, actor, {
        action: "alert_rules.update",
        target: hostId ? { type: "host", id: hostId } : { type: "alert_rules", id: FLEET },
        summary: `changed alert rules ${host ? `of "${host.name}"` : "of the fleet"}: ${changed.join(", ") || "nothing"}`,
      });
    });
    return this.get(hostId);
  }

  async #host(hostId: string) {
    const [host] = await this.db.select({ name: hosts.name }).from(hosts).where(eq(hosts.id, hostId));
    if (!host) throw new DomainError("NOT_FOUND", "That host does not exist (removed meanwhile?).");
    return host;
  }
}
