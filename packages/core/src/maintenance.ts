/**
 * Repository maintenance: forget (per source group, with its retention), prune (with the admin
 * credential when one is set), check (with a read-data subset) and unlock (stale locks only).
 * Cadences live on host_repo_maintenance and are run by the server's ticker, never by the
 * agent's cron; Run-now goes through the same functions.
 */
import { type Database, hostRepoMaintenance, hosts, idTime, jobs, snapshots } from "@restic-manager/db";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { AgentLink } from "./agent-link.js";
import { type Actor, writeAudit } from "./audit.js";
import { CronError, describeCron, parseCron } from "./cron.js";
import { DomainError } from "./errors.js";
import type { EventBus } from "./events.js";
import { ACTIVE_STATUSES, type RunNow } from "./jobs/index.js";
import {
  DEFAULT_MAINTENANCE,
  MAINTENANCE_KINDS,
  type MaintenanceKind,
  type MaintenanceSettings,
  readMaintenanceSettings,
} from "./maintenance-settings.js";

export * from "./maintenance-settings.js";

const CRON_FIELD: Record<MaintenanceKind, "forgetCron" | "pruneCron" | "checkCron"> = {
  forget: "forgetCron",
  prune: "pruneCron",
  check: "checkCron",
};

export const MAINTENANCE_ACTOR: Actor = { kind: "maintenance", id: "ticker", name: "maintenance" };

export class MaintenanceService {
  /** When each (host, kind) is next due; recomputed after a dispatch or a settings change. */
  readonly #due = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly link: AgentLink,
    private readonly runNow: RunNow,
    private readonly events: EventBus,
    private readonly now: () => number = Date.now,
  ) {}

  settings(hostId: string): Promise<MaintenanceSettings & { saved: boolean }> {
    return readMaintenanceSettings(this.db, hostId);
  }

  async updateSettings(hostId: string, input: MaintenanceSettings, actor: Actor) {
    const [host] = await this.db
      .select({ name: hosts.name, timezone: hosts.timezone })
      .from(hosts)
      .where(eq(hosts.id, hostId));
    if (!host) throw new DomainError("NOT_FOUND", "No such host.");
    const clean: MaintenanceSettings = { ...input };
    for (const kind of MAINTENANCE_KINDS) {
      const field = CRON_FIELD[kind];
      const value = input[field]?.trim() || null;
      clean[field] = value === null ? null : parseCron(value, host.timezone, field).expr;
    }
    if (!Number.isInteger(input.checkSubsetPct) || input.checkSubsetPct < 0 || input.checkSubsetPct > 100) {
      throw new CronError("checkSubsetPct", "a whole percentage from 0 (metadata only) to 100 (all data).");
    }
    const values = { ...clean, updatedAt: new Date(this.now()) };
    await this.db.transaction(async (tx) => {
      await tx
        .insert(hostRepoMaintenance)
        .values({ hostId, ...values })
        .onConflictDoUpdate({ target: hostRepoMaintenance.hostId, set: values });
      const cadence = (c: string | null) => (c ? `"${c}" (${describeCron(c)})` : "Run-now only");
      await writeAudit(tx, actor, {
        action: "host.maintenance_update",
        target: { type: "host", id: hostId },
        summary: `set the maintenance of "${host.name}": ${clean.enabled ? "" : "paused; "}forget ${cadence(clean.forgetCron)}, prune ${cadence(clean.pruneCron)}, check ${cadence(clean.checkCron)} reading ${clean.checkSubsetPct}% of the data`,
      });
    });
    for (const kind of MAINTENANCE_KINDS) this.#due.delete(`${hostId}:${kind}`);
    this.events.emit("host.changed", { hostId });
    return this.settings(hostId);
  }

  /** The Repo page's right-hand panel: sizes, last check and prune, lock state, snapshots by tag. */
  async overview(hostId: string) {
    const [host] = await this.db
      .select({
        repoSizeBytes: hosts.repoSizeBytes,
        repoRawSizeBytes: hosts.repoRawSizeBytes,
        repoStatsAt: hosts.repoStatsAt,
        snapshotCount: hosts.snapshotCount,
        repoLockError: hosts.repoLockError,
        repoLockAt: hosts.repoLockAt,
        timezone: hosts.timezone,
        bandwidthUpKbps: hosts.bandwidthUpKbps,
        bandwidthDownKbps: hosts.bandwidthDownKbps,
      })
      .from(hosts)
      .where(eq(hosts.id, hostId));
    if (!host) throw new DomainError("NOT_FOUND", "No such host.");
    const latest = async (kind: "check" | "prune" | "forget" | "unlock") => {
      const [row] = await this.db
        .select({
          id: jobs.id,
          status: jobs.status,
          createdAt: jobs.createdAt,
          finishedAt: jobs.finishedAt,
          error: jobs.error,
          trigger: jobs.trigger,
        })
        .from(jobs)
        .where(and(eq(jobs.hostId, hostId), eq(jobs.kind, kind)))
        .orderBy(desc(jobs.id))
        .limit(1);
      return row ?? null;
    };
    const tagRows = await this.db
      .select({ tags: snapshots.tags, time: snapshots.time })
      .from(snapshots)
      .where(eq(snapshots.hostId, hostId));
    const byTag = new Map<string, { count: number; latest: number }>();
    for (const r of tagRows) {
      const tags = r.tags.length ? r.tags : ["(untagged)"];
      for (const t of tags) {
        const e = byTag.get(t) ?? { count: 0, latest: 0 };
        e.count++;
        e.latest = Math.max(e.latest, r.time.getTime());
        byTag.set(t, e);
      }
    }
    const settings = await this.settings(hostId);
    const nextOf = (cron: string | null) => {
      if (!cron || !settings.enabled) return null;
      try {
        return parseCron(cron, host.timezone).cron.nextRun()?.getTime() ?? null;
      } catch {
        return null;
      }
    };
    return {
      stats: {
        totalSizeBytes: host.repoSizeBytes,
        rawSizeBytes: host.repoRawSizeBytes,
        statsAt: host.repoStatsAt,
        snapshotCount: host.snapshotCount,
      },
      lock: host.repoLockError ? { error: host.repoLockError, at: host.repoLockAt } : null,
      lastCheck: await latest("check"),
      lastPrune: await latest("prune"),
      lastForget: await latest("forget"),
      lastUnlock: await latest("unlock"),
      snapshotsByTag: [...byTag.entries()]
        .map(([tag, v]) => ({ tag, count: v.count, latestAt: v.latest }))
        .sort((a, b) => a.tag.localeCompare(b.tag)),
      maintenance: {
        ...settings,
        timezone: host.timezone,
        next: {
          forget: nextOf(settings.forgetCron),
          prune: nextOf(settings.pruneCron),
          check: nextOf(settings.checkCron),
        },
      },
      bandwidth: { uploadKbps: host.bandwidthUpKbps, downloadKbps: host.bandwidthDownKbps },
    };
  }

  /**
   * One pass of the maintenance ticker: each online host whose forget, prune or check is due and
   * that runs nothing now gets one job (at most one kind per host per pass, so they never overlap).
   * Offline hosts are skipped; they get their turn on a later pass once back.
   */
  async tick(): Promise<{ dispatched: number; skippedBusy: number }> {
    const now = this.now();
    const rows = await this.db
      .select({ id: hosts.id, timezone: hosts.timezone, createdAt: hosts.createdAt, m: hostRepoMaintenance })
      .from(hosts)
      .leftJoin(hostRepoMaintenance, eq(hostRepoMaintenance.hostId, hosts.id))
      .where(eq(hosts.status, "online"));
    await this.#primeDue(rows);
    let dispatched = 0;
    let skippedBusy = 0;
    let visited = 0;
    for (const row of rows) {
      // libsql runs statements synchronously and its promises settle as microtasks, so a loop of
      // awaited queries never lets the event loop turn: yield every 100 hosts (10k hosts were a
      // 36 s stall with agents timing out).
      if (++visited % 100 === 0) await new Promise<void>((r) => setImmediate(r));
      if (!this.link.isConnected(row.id)) continue;
      const settings: MaintenanceSettings = row.m ?? DEFAULT_MAINTENANCE;
      if (!settings.enabled) continue;
      for (const kind of MAINTENANCE_KINDS) {
        const cron = settings[CRON_FIELD[kind]];
        if (!cron) continue;
        const due = await this.#nextDue(row.id, kind, cron, row.timezone, row.m?.updatedAt ?? row.createdAt);
        if (due === null || due > now) continue;
        const [active] = await this.db
          .select({ id: jobs.id })
          .from(jobs)
          .where(and(eq(jobs.hostId, row.id), inArray(jobs.status, ACTIVE_STATUSES)))
          .limit(1);
        if (active) {
          skippedBusy++;
          break;
        }
        try {
          if (kind === "forget") await this.runNow.forget(row.id, null, MAINTENANCE_ACTOR);
          else if (kind === "prune") await this.runNow.prune(row.id, MAINTENANCE_ACTOR);
          else await this.runNow.check(row.id, MAINTENANCE_ACTOR, settings.checkSubsetPct);
          dispatched++;
        } catch (e) {
          if (!(e instanceof DomainError)) throw e;
          // Nothing to forget, or the host just went away: try again at the next slot.
        }
        this.#due.set(`${row.id}:${kind}`, this.#after(cron, row.timezone, now));
        break;
      }
    }
    return { dispatched, skippedBusy };
  }

  #after(cron: string, timezone: string, from: number): number {
    try {
      return parseCron(cron, timezone).cron.nextRun(new Date(from))?.getTime() ?? Number.POSITIVE_INFINITY;
    } catch {
      return Number.POSITIVE_INFINITY;
    }
  }

  /**
   * Fills the due-time cache for hosts this process has not looked at yet (after a start, every
   * host): one read of the latest maintenance job ids per 200 hosts, instead of one query per
   * host and kind (30,000 for 10k hosts, most of an idle console's CPU for a minute after a
   * restart). A ULID carries its creation time, so the index alone answers.
   */
  async #primeDue(
    rows: { id: string; timezone: string; createdAt: Date; m: typeof hostRepoMaintenance.$inferSelect | null }[],
  ): Promise<void> {
    const cold = rows.filter((r) => MAINTENANCE_KINDS.some((k) => !this.#due.has(`${r.id}:${k}`)));
    for (let i = 0; i < cold.length; i += 200) {
      const batch = cold.slice(i, i + 200);
      const latest = await this.db
        .select({ hostId: jobs.hostId, kind: jobs.kind, lastId: sql<string>`max(${jobs.id})` })
        .from(jobs)
        .where(
          and(
            inArray(
              jobs.hostId,
              batch.map((r) => r.id),
            ),
            inArray(jobs.kind, [...MAINTENANCE_KINDS]),
          ),
        )
        .groupBy(jobs.hostId, jobs.kind);
      const last = new Map(latest.map((l) => [`${l.hostId}:${l.kind}`, idTime(l.lastId)]));
      for (const row of batch) {
        const settings: MaintenanceSettings = row.m ?? DEFAULT_MAINTENANCE;
        const since = (row.m?.updatedAt ?? row.createdAt).getTime();
        for (const kind of MAINTENANCE_KINDS) {
          const cron = settings[CRON_FIELD[kind]];
          const key = `${row.id}:${kind}`;
          if (!cron || this.#due.has(key)) continue;
          const lastAt = last.get(key);
          this.#due.set(
            key,
            this.#after(cron, row.timezone, Math.max(since, Number.isFinite(lastAt) ? (lastAt as number) : 0)),
          );
        }
      }
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** The first slot after the latest job of this kind (or after the settings were saved). */
  async #nextDue(hostId: string, kind: MaintenanceKind, cron: string, timezone: string, since: Date) {
    const key = `${hostId}:${kind}`;
    const cached = this.#due.get(key);
    if (cached !== undefined) return cached;
    const [last] = await this.db
      .select({ createdAt: jobs.createdAt })
      .from(jobs)
      .where(and(eq(jobs.hostId, hostId), eq(jobs.kind, kind)))
      .orderBy(desc(jobs.id))
      .limit(1);
    const anchor = Math.max(since.getTime(), last?.createdAt.getTime() ?? 0);
    const due = this.#after(cron, timezone, anchor);
    this.#due.set(key, due);
    return due;
  }

  /** Host-wide bandwidth caps, sent with every command.run unless a run overrides them. */
  async updateBandwidth(
    hostId: string,
    input: { uploadKbps: number | null; downloadKbps: number | null },
    actor: Actor,
  ) {
    for (const [field, v] of [
      ["uploadKbps", input.uploadKbps],
      ["downloadKbps", input.downloadKbps],
    ] as const) {
      if (v !== null && (!Number.isInteger(v) || v < 1 || v > 100_000_000)) {
        throw new DomainError("BAD_REQUEST", `${field}: a whole number of KiB/s from 1, or empty for unlimited.`);
      }
    }
    await this.db.transaction(async (tx) => {
      const [host] = await tx.select({ name: hosts.name }).from(hosts).where(eq(hosts.id, hostId));
      if (!host) throw new DomainError("NOT_FOUND", "No such host.");
      await tx
        .update(hosts)
        .set({ bandwidthUpKbps: input.uploadKbps, bandwidthDownKbps: input.downloadKbps })
        .where(eq(hosts.id, hostId));
      const fmt = (v: number | null) => (v === null ? "unlimited" : `${v} KiB/s`);
      await writeAudit(tx, actor, {
        action: "host.bandwidth_update",
        target: { type: "host", id: hostId },
        summary: `set the bandwidth caps of "${host.name}": upload ${fmt(input.uploadKbps)}, download ${fmt(input.downloadKbps)}`,
      });
    });
    this.events.emit("host.changed", { hostId });
  }
}
