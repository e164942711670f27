/**
 * When an alert is raised or cleared. Job-based rules react to domain events as they happen
 * (a failed backup, a failed check, an abandoned catch-up run, an agent coming back); time-based
 * rules (agent offline past the threshold, RPO breached, stale lock) and re-notification are
 * evaluated by `tick()`, which the server's alerts ticker calls.
 */
import { alerts, type Database, hosts, jobs, sourceGroups } from "@restic-manager/db";
import { and, eq, isNotNull, ne } from "drizzle-orm";
import type { EventBus } from "../events.js";
import type { DeliveryQueue } from "./delivery.js";
import type { AlertLifecycle } from "./lifecycle.js";
import { groupRpos, lastSuccesses, rpoDueAt } from "./rpo.js";
import type { AlertRuleSettings, RuleBook } from "./rules.js";

const MINUTE = 60_000;
const FAILED = new Set(["failed", "interrupted"]);
const FINAL = new Set([...FAILED, "succeeded"]);

/**
 * restic's words for "the repository cannot be reached or opened" (missing, wrong location,
 * network or backend errors), as opposed to a failure inside a reachable repository.
 */
const UNREACHABLE =
  /unable to open (config file|repository)|repository does not exist|Is there a repository at the following location|dial tcp|connection refused|no such host|network is unreachable|i\/o timeout|ssh: (connect|handshake)|subprocess ssh: .*(Connection|closed)/i;

const firstLine = (s: string | null) => (s ?? "").split("\n")[0]?.slice(0, 300) || "no error message";

export class AlertEvaluator {
  readonly #pending = new Set<Promise<unknown>>();
  /** The first tick of this process. */
  #watchingSince: number | null = null;
  /** The last error of an event handler, for the ticker to log (core has no logger). */
  lastError: unknown = null;
  /**
   * Hosts with an unresolved offline alert, read once and then kept here (only the tick raises
   * one), so an agent's hello costs no query unless its host has one: 10k agents reconnecting
   * after a console restart would otherwise be 10k reads.
   */
  #offlineHosts: Promise<Set<string>> | null = null;

  constructor(
    private readonly db: Database,
    events: EventBus,
    private readonly lifecycle: AlertLifecycle,
    private readonly settings: AlertRuleSettings,
    private readonly delivery: DeliveryQueue,
    private readonly now: () => number,
  ) {
    events.on("job.updated", (e) => {
      // Queued and running updates (and stats) never change an alert: no query for them.
      if (FINAL.has(e.status)) this.#track(this.onJob(e.jobId));
    });
    events.on("host.status", (e) => {
      if (e.status !== "offline") this.#track(this.onHostBack(e.hostId));
    });
    events.on("schedule.run_abandoned", (e) => this.#track(this.onRunAbandoned(e)));
  }

  /** Resolves once every event handler that started has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }

  #track(p: Promise<unknown>) {
    const tracked = p
      .catch((e) => {
        this.lastError = e;
      })
      .finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }

  async onJob(jobId: string): Promise<void> {
    const [job] = await this.db
      .select({
        id: jobs.id,
        kind: jobs.kind,
        status: jobs.status,
        hostId: jobs.hostId,
        hostName: hosts.name,
        groupId: jobs.sourceGroupId,
        groupName: sourceGroups.name,
        error: jobs.error,
      })
      .from(jobs)
      .innerJoin(hosts, eq(hosts.id, jobs.hostId))
      .leftJoin(sourceGroups, eq(sourceGroups.id, jobs.sourceGroupId))
      .where(eq(jobs.id, jobId));
    if (!job) return;
    const book = await this.settings.book();
    await this.#reachability(book, job);
    if (job.kind === "backup") {
      const what = `backup of "${job.groupName ?? "a deleted group"}" on "${job.hostName}"`;
      if (FAILED.has(job.status)) {
        const rule = book.effective(job.hostId, "backup_failed");
        if (!rule.enabled) return;
        await this.lifecycle.raise({
          rule: "backup_failed",
          hostId: job.hostId,
          sourceGroupId: job.groupId,
          severity: rule.severity,
          summary: `${what} ${job.status}: ${firstLine(job.error)}`,
          jobId: job.id,
        });
      } else if (job.status === "succeeded") {
        const reason = `${what} succeeded (job ${job.id})`;
        await this.lifecycle.clear("backup_failed", job.hostId, job.groupId, reason);
        await this.lifecycle.clear("rpo_breached", job.hostId, job.groupId, reason);
        await this.lifecycle.clear("run_abandoned", job.hostId, job.groupId, reason);
      }
    } else if (job.kind === "check") {
      if (FAILED.has(job.status)) {
        const rule = book.effective(job.hostId, "check_failed");
        if (!rule.enabled) return;
        await this.lifecycle.raise({
          rule: "check_failed",
          hostId: job.hostId,
          severity: rule.severity,
          summary: `repository check on "${job.hostName}" ${job.status}: ${firstLine(job.error)}`,
          jobId: job.id,
        });
      } else if (job.status === "succeeded") {
        await this.lifecycle.clear("check_failed", job.hostId, null, `repository check succeeded (job ${job.id})`);
      }
    }
  }

  /** Any job that fails on an unreachable repository raises repo_unreachable; any success clears it. */
  async #reachability(
    book: RuleBook,
    job: { id: string; kind: string; status: string; hostId: string; hostName: string; error: string | null },
  ) {
    if (job.status === "succeeded") {
      await this.lifecycle.clear("repo_unreachable", job.hostId, null, `a ${job.kind} job reached the repository`);
      return;
    }
    if (!FAILED.has(job.status) || !job.error || !UNREACHABLE.test(job.error)) return;
    const rule = book.effective(job.hostId, "repo_unreachable");
    if (!rule.enabled) return;
    await this.lifecycle.raise({
      rule: "repo_unreachable",
      hostId: job.hostId,
      severity: rule.severity,
      summary: `a ${job.kind} job on "${job.hostName}" could not reach the repository: ${firstLine(job.error)}`,
      jobId: job.id,
    });
  }

  #hostsAlertedOffline(): Promise<Set<string>> {
    this.#offlineHosts ??= this.#unresolved("agent_offline").then((rows) => new Set(rows.map((r) => r.hostId)));
    return this.#offlineHosts;
  }

  async onHostBack(hostId: string): Promise<void> {
    const alerted = await this.#hostsAlertedOffline();
    if (!alerted.has(hostId)) return;
    await this.lifecycle.clear("agent_offline", hostId, null, "the agent is connected again");
    alerted.delete(hostId);
  }

  async onRunAbandoned(e: { hostId: string; sourceGroupId: string; reason: string }): Promise<void> {
    const rule = (await this.settings.book()).effective(e.hostId, "run_abandoned");
    if (!rule.enabled) return;
    await this.lifecycle.raise({
      rule: "run_abandoned",
      hostId: e.hostId,
      sourceGroupId: e.sourceGroupId,
      severity: rule.severity,
      summary: e.reason,
    });
  }

  /** Time-based rules and re-notification. Returns how many alerts it opened. */
  async tick(): Promise<{ opened: number; resolved: number; renotified: number }> {
    const book = await this.settings.book();
    const counts = { opened: 0, resolved: 0, renotified: 0 };
    const opened = (r: { opened: boolean } | null) => {
      if (r?.opened) counts.opened++;
    };
    const resolved = (id: string | null) => {
      if (id) counts.resolved++;
    };
    const now = this.now();

    // Agent offline: measured from when it was last heard, so a disconnect shorter than the
    // threshold (a flap, a restart) raises nothing; and never from before this console started
    // watching, so agents still reconnecting after a long console outage raise nothing either.
    this.#watchingSince ??= now;
    const offline = await this.db
      .select({ id: hosts.id, name: hosts.name, lastSeenAt: hosts.lastSeenAt })
      .from(hosts)
      .where(and(eq(hosts.status, "offline"), isNotNull(hosts.lastSeenAt)));
    const alertedOffline = offline.length > 0 ? await this.#hostsAlertedOffline() : null;
    for (const h of offline) {
      const rule = book.effective(h.id, "agent_offline");
      const minutes = rule.threshold ?? 15;
      if (!rule.enabled || !h.lastSeenAt) continue;
      if (now - Math.max(h.lastSeenAt.getTime(), this.#watchingSince) < minutes * MINUTE) continue;
      alertedOffline?.add(h.id);
      opened(
        await this.lifecycle.raise({
          rule: "agent_offline",
          hostId: h.id,
          severity: rule.severity,
          summary: `the agent on "${h.name}" has not been heard from since ${h.lastSeenAt.toISOString()} (threshold ${minutes} min)`,
          repeat: false,
        }),
      );
    }

    // Stale lock: a job failed on a repository lock and nothing got through since.
    const locked = await this.db
      .select({ id: hosts.id, name: hosts.name, error: hosts.repoLockError, at: hosts.repoLockAt })
      .from(hosts)
      .where(isNotNull(hosts.repoLockError));
    for (const h of locked) {
      const rule = book.effective(h.id, "stale_lock");
      const hours = rule.threshold ?? 6;
      if (!rule.enabled || !h.at || now - h.at.getTime() < hours * 60 * MINUTE) continue;
      opened(
        await this.lifecycle.raise({
          rule: "stale_lock",
          hostId: h.id,
          severity: rule.severity,
          summary: `the repository of "${h.name}" has been locked since ${h.at.toISOString()}: ${firstLine(h.error)}`,
          repeat: false,
        }),
      );
    }
    const openLocks = await this.#unresolved("stale_lock");
    const stillLocked = new Set(locked.map((h) => h.id));
    for (const a of openLocks) {
      if (!stillLocked.has(a.hostId)) {
        resolved(await this.lifecycle.clear("stale_lock", a.hostId, null, "a job got through the repository lock"));
      }
    }

    await this.#rpo(book, now, opened, resolved);

    // Re-notification of open (not acknowledged) alerts.
    const every = book.renotifyMinutes();
    if (every) {
      const due = await this.db
        .select({ id: alerts.id, last: alerts.lastNotifiedAt, first: alerts.firstSeenAt })
        .from(alerts)
        .where(eq(alerts.status, "open"));
      for (const a of due) {
        if (now - (a.last ?? a.first).getTime() >= every * MINUTE) {
          await this.delivery.enqueue(a.id, "renotify");
          counts.renotified++;
        }
      }
    }
    return counts;
  }

  /** RPO breaches (see rpo.ts), and RPO alerts whose group is no longer breaching. */
  async #rpo(
    book: RuleBook,
    now: number,
    opened: (r: { opened: boolean } | null) => void,
    resolved: (id: string | null) => void,
  ) {
    const groups = await groupRpos(this.db, book, now);
    for (const [id, g] of groups) if (!book.effective(g.hostId, "rpo_breached").enabled) groups.delete(id);
    const lastSuccess = await lastSuccesses(this.db, [...groups.keys()]);
    for (const [groupId, g] of groups) {
      if (now <= rpoDueAt(g, lastSuccess.get(groupId))) continue;
      const last = lastSuccess.get(groupId);
      opened(
        await this.lifecycle.raise({
          rule: "rpo_breached",
          hostId: g.hostId,
          sourceGroupId: groupId,
          severity: book.effective(g.hostId, "rpo_breached").severity,
          summary: `no successful backup of "${g.groupName}" on "${g.hostName}" ${last ? `since ${new Date(last).toISOString()}` : "yet"} (RPO ${Math.round(g.rpoMs / MINUTE)} min)`,
          repeat: false,
        }),
      );
    }
    for (const a of await this.#unresolved("rpo_breached")) {
      const g = a.sourceGroupId ? groups.get(a.sourceGroupId) : undefined;
      if (g && now > rpoDueAt(g, lastSuccess.get(g.groupId))) continue;
      resolved(
        await this.lifecycle.clear(
          "rpo_breached",
          a.hostId,
          a.sourceGroupId,
          g ? "the group is within its RPO again" : "no enabled schedule covers the group any more",
        ),
      );
    }
  }

  #unresolved(rule: "stale_lock" | "rpo_breached" | "agent_offline") {
    return this.db
      .select({ hostId: alerts.hostId, sourceGroupId: alerts.sourceGroupId })
      .from(alerts)
      .where(and(eq(alerts.rule, rule), ne(alerts.status, "resolved")));
  }
}
