/**
 * Backup schedules: a cron in the host's time zone over one or more source groups.
 *
 * Who fires what:
 * - The agent arms the host's schedule set (schedule.set, versioned, acked) and sends
 *   schedule.fire at each slot; the console creates one backup job per group, unique per
 *   (schedule, group, slot), so a slot never runs twice however often it is reported.
 * - The console accounts for every slot itself (`account`, every tick): a slot that passed
 *   without a job (host offline, agent not yet in sync, console down) goes to the pending-runs
 *   queue, where missed slots of one (schedule, group) coalesce into a single catch-up run.
 */
import {
  type Database,
  hosts,
  jobs,
  newId,
  pendingRuns,
  scheduleSourceGroups,
  schedules,
  sourceGroups,
  type Transaction,
} from "@restic-manager/db";
import type { ArmedSchedule } from "@restic-manager/protocol";
import { and, asc, desc, eq, inArray, sql } from "drizzle-orm";
import { type Actor, SYSTEM_ACTOR, writeAudit } from "./audit.js";
import { CronError, describeCron, parseCron, slotsBetween } from "./cron.js";
import { DomainError } from "./errors.js";
import type { EventBus } from "./events.js";
import type { RunNow } from "./jobs/index.js";

export interface ScheduleInput {
  cron: string;
  enabled: boolean;
  sourceGroupIds: string[];
}

/** A slot is the agent's to fire for this long; after it the console queues it itself. */
export const FIRE_GRACE_MS = 20_000;

/** Retries of a pending run back off exponentially up to this. */
export const MAX_BACKOFF_MS = 30 * 60_000;

export const scheduleActor = (id: string): Actor => ({ kind: "schedule", id, name: "schedule" });

export class ScheduleService {
  constructor(
    private readonly db: Database,
    private readonly run: RunNow,
    private readonly events: EventBus,
    private readonly now: () => number = Date.now,
  ) {}

  async #host(hostId: string, tx: Transaction | Database = this.db) {
    const [host] = await tx
      .select({ id: hosts.id, name: hosts.name, timezone: hosts.timezone, status: hosts.status })
      .from(hosts)
      .where(eq(hosts.id, hostId));
    if (!host) throw new DomainError("NOT_FOUND", "No such host. It may have been deleted.");
    return host;
  }

  /** What the form shows while typing: valid or the field's error, a description, the next fires. */
  async preview(hostId: string, cron: string) {
    const host = await this.#host(hostId);
    try {
      const parsed = parseCron(cron, host.timezone);
      return {
        valid: true as const,
        cron: parsed.expr,
        description: describeCron(parsed.expr),
        timezone: host.timezone,
        next: parsed.cron.nextRuns(3, new Date(this.now())).map((d) => d.getTime()),
      };
    } catch (e) {
      if (e instanceof CronError) return { valid: false as const, error: e.message, timezone: host.timezone };
      throw e;
    }
  }

  /** The host's schedules with their groups, next fire and last run. */
  async list(hostId: string) {
    const host = await this.#host(hostId);
    const rows = await this.db
      .select()
      .from(schedules)
      .where(eq(schedules.hostId, hostId))
      .orderBy(asc(schedules.createdAt));
    if (rows.length === 0) return [];
    const links = await this.#groupsOf(rows.map((r) => r.id));
    const pending = await this.db
      .select({ scheduleId: pendingRuns.scheduleId, n: sql<number>`count(*)` })
      .from(pendingRuns)
      .where(eq(pendingRuns.hostId, hostId))
      .groupBy(pendingRuns.scheduleId);
    const out = [];
    for (const row of rows) {
      const [last] = await this.db
        .select({
          id: jobs.id,
          status: jobs.status,
          createdAt: jobs.createdAt,
          finishedAt: jobs.finishedAt,
          trigger: jobs.trigger,
        })
        .from(jobs)
        .where(and(eq(jobs.hostId, hostId), eq(jobs.scheduleId, row.id)))
        .orderBy(desc(jobs.id))
        .limit(1);
      let nextRunAt: number | null = null;
      try {
        nextRunAt = row.enabled ? (parseCron(row.cron, host.timezone).cron.nextRun()?.getTime() ?? null) : null;
      } catch {
        nextRunAt = null;
      }
      out.push({
        id: row.id,
        cron: row.cron,
        enabled: row.enabled,
        description: describeCron(row.cron),
        timezone: host.timezone,
        groups: links.filter((l) => l.scheduleId === row.id).map((l) => ({ id: l.id, name: l.name })),
        nextRunAt,
        lastRun: last ?? null,
        pendingRuns: pending.find((p) => p.scheduleId === row.id)?.n ?? 0,
        createdAt: row.createdAt,
        updatedAt: row.updatedAt,
      });
    }
    return out;
  }

  /** The groups of these schedules, by name. */
  async #groupsOf(scheduleIds: string[]) {
    if (scheduleIds.length === 0) return [];
    return this.db
      .select({ scheduleId: scheduleSourceGroups.scheduleId, id: sourceGroups.id, name: sourceGroups.name })
      .from(scheduleSourceGroups)
      .innerJoin(sourceGroups, eq(sourceGroups.id, scheduleSourceGroups.sourceGroupId))
      .where(inArray(scheduleSourceGroups.scheduleId, scheduleIds))
      .orderBy(asc(sourceGroups.name));
  }

  async get(scheduleId: string) {
    const [row] = await this.db.select().from(schedules).where(eq(schedules.id, scheduleId));
    if (!row) throw new DomainError("NOT_FOUND", "No such schedule. It may have been deleted.");
    const groups = await this.db
      .select({ id: scheduleSourceGroups.sourceGroupId })
      .from(scheduleSourceGroups)
      .where(eq(scheduleSourceGroups.scheduleId, scheduleId));
    return { ...row, sourceGroupIds: groups.map((g) => g.id) };
  }

  async #validate(tx: Transaction, hostId: string, input: ScheduleInput, timezone: string) {
    const { expr } = parseCron(input.cron, timezone);
    const ids = [...new Set(input.sourceGroupIds)];
    if (ids.length === 0) throw new DomainError("BAD_REQUEST", "sourceGroupIds: pick at least one source group.");
    const found = await tx
      .select({ id: sourceGroups.id, name: sourceGroups.name, paths: sourceGroups.includePaths })
      .from(sourceGroups)
      .where(and(eq(sourceGroups.hostId, hostId), inArray(sourceGroups.id, ids)));
    if (found.length !== ids.length) {
      throw new DomainError("BAD_REQUEST", "sourceGroupIds: a group does not exist on this host (deleted meanwhile?).");
    }
    return { cron: expr, ids, groups: found };
  }

  async #bump(tx: Transaction, hostId: string) {
    await tx
      .update(hosts)
      .set({ scheduleVersion: sql`${hosts.scheduleVersion} + 1` })
      .where(eq(hosts.id, hostId));
  }

  async create(hostId: string, input: ScheduleInput, actor: Actor) {
    const id = newId();
    await this.db.transaction(async (tx) => {
      const host = await this.#host(hostId, tx);
      const v = await this.#validate(tx, hostId, input, host.timezone);
      const at = new Date(this.now());
      await tx
        .insert(schedules)
        .values({ id, hostId, cron: v.cron, enabled: input.enabled, accountedUntil: at, updatedAt: at });
      await tx.insert(scheduleSourceGroups).values(v.ids.map((g) => ({ scheduleId: id, sourceGroupId: g })));
      await this.#bump(tx, hostId);
      await writeAudit(tx, actor, {
        action: "schedule.create",
        target: { type: "schedule", id },
        summary: `created schedule "${v.cron}" (${describeCron(v.cron)}, ${host.timezone}) on "${host.name}" for ${v.groups.map((g) => g.name).join(", ")}${input.enabled ? "" : ", paused"}`,
      });
    });
    this.events.emit("host.schedules_changed", { hostId });
    return this.get(id);
  }

  async update(scheduleId: string, input: ScheduleInput, actor: Actor) {
    const existing = await this.get(scheduleId);
    await this.db.transaction(async (tx) => {
      const host = await this.#host(existing.hostId, tx);
      const v = await this.#validate(tx, existing.hostId, input, host.timezone);
      const at = new Date(this.now());
      // A changed cadence starts afresh: slots of the old cron are not caught up.
      const accountedUntil = v.cron !== existing.cron || (input.enabled && !existing.enabled) ? at : undefined;
      await tx
        .update(schedules)
        .set({ cron: v.cron, enabled: input.enabled, updatedAt: at, ...(accountedUntil ? { accountedUntil } : {}) })
        .where(eq(schedules.id, scheduleId));
      await tx.delete(scheduleSourceGroups).where(eq(scheduleSourceGroups.scheduleId, scheduleId));
      await tx.insert(scheduleSourceGroups).values(v.ids.map((g) => ({ scheduleId, sourceGroupId: g })));
      // Pending catch-ups of groups no longer in the schedule go away with them.
      await tx.delete(pendingRuns).where(
        and(
          eq(pendingRuns.scheduleId, scheduleId),
          sql`${pendingRuns.sourceGroupId} NOT IN (${sql.join(
            v.ids.map((g) => sql`${g}`),
            sql`, `,
          )})`,
        ),
      );
      if (!input.enabled) await tx.delete(pendingRuns).where(eq(pendingRuns.scheduleId, scheduleId));
      await this.#bump(tx, existing.hostId);
      await writeAudit(tx, actor, {
        action: "schedule.update",
        target: { type: "schedule", id: scheduleId },
        summary: `changed schedule on "${host.name}" to "${v.cron}" (${describeCron(v.cron)}) for ${v.groups.map((g) => g.name).join(", ")}${input.enabled ? "" : ", paused"}`,
      });
    });
    this.events.emit("host.schedules_changed", { hostId: existing.hostId });
    return this.get(scheduleId);
  }

  async remove(scheduleId: string, actor: Actor) {
    const existing = await this.get(scheduleId);
    await this.db.transaction(async (tx) => {
      const host = await this.#host(existing.hostId, tx);
      await tx.delete(schedules).where(eq(schedules.id, scheduleId));
      await this.#bump(tx, existing.hostId);
      await writeAudit(tx, actor, {
        action: "schedule.delete",
        target: { type: "schedule", id: scheduleId },
        summary: `deleted schedule "${existing.cron}" on "${host.name}"`,
      });
    });
    this.events.emit("host.schedules_changed", { hostId: existing.hostId });
  }

  /** Runs every group of the schedule now, one after another (a paused schedule too). */
  async runNow(scheduleId: string, actor: Actor) {
    const schedule = await this.get(scheduleId);
    const jobIds: string[] = [];
    for (const groupId of schedule.sourceGroupIds) {
      const r = await this.run.backup(groupId, actor, { queue: true, scheduleId });
      jobIds.push(r.jobId);
    }
    return { jobIds };
  }

  /** The set the agent arms, with the version it acks. */
  async scheduleSetFor(hostId: string) {
    const [host] = await this.db
      .select({ version: hosts.scheduleVersion, timezone: hosts.timezone })
      .from(hosts)
      .where(eq(hosts.id, hostId));
    if (!host) return null;
    const rows = await this.db.select().from(schedules).where(eq(schedules.hostId, hostId));
    const links = await this.#groupsOf(rows.map((r) => r.id));
    const armed: ArmedSchedule[] = rows
      .map((r) => ({
        scheduleId: r.id,
        cron: r.cron,
        enabled: r.enabled,
        groups: links.filter((l) => l.scheduleId === r.id).map((l) => ({ id: l.id, name: l.name })),
      }))
      .filter((s) => s.groups.length > 0);
    return { version: host.version, timezone: host.timezone, schedules: armed };
  }

  async recordAck(hostId: string, version: number, error: string | null) {
    await this.db
      .update(hosts)
      .set({ scheduleAckedVersion: version, scheduleAckError: error })
      .where(eq(hosts.id, hostId));
    this.events.emit("host.changed", { hostId });
  }

  /**
   * The agent reached a slot. Creates one backup per group (queued one after another); a slot
   * already run, a deleted or paused schedule, or a slot in the future is ignored. Returns the jobs.
   */
  async fire(hostId: string, scheduleId: string, slotAt: number): Promise<string[]> {
    const [row] = await this.db
      .select()
      .from(schedules)
      .where(and(eq(schedules.id, scheduleId), eq(schedules.hostId, hostId)));
    if (!row?.enabled) return [];
    if (slotAt > this.now() + 5_000) return [];
    const host = await this.#host(hostId);
    // Only a real slot of the current cron counts (an agent on an old set may report another).
    try {
      const { cron } = parseCron(row.cron, host.timezone);
      const next = cron.nextRun(new Date(slotAt - 1));
      if (!next || next.getTime() !== slotAt) return [];
    } catch {
      return [];
    }
    const groups = await this.db
      .select({ id: scheduleSourceGroups.sourceGroupId })
      .from(scheduleSourceGroups)
      .where(eq(scheduleSourceGroups.scheduleId, scheduleId));
    const jobIds: string[] = [];
    for (const g of groups) {
      // A run of this group still waiting its turn covers this slot too: never a pile-up.
      const [waiting] = await this.db
        .select({ id: jobs.id })
        .from(jobs)
        .where(
          and(
            eq(jobs.hostId, hostId),
            eq(jobs.scheduleId, scheduleId),
            eq(jobs.sourceGroupId, g.id),
            eq(jobs.status, "queued"),
          ),
        )
        .limit(1);
      if (waiting) continue;
      try {
        const r = await this.run.backup(g.id, scheduleActor(scheduleId), {
          trigger: "schedule",
          scheduleId,
          scheduledFor: new Date(slotAt),
          queue: true,
        });
        if (!r.duplicate) jobIds.push(r.jobId);
        // The slot is handled: a catch-up waiting for an earlier slot is superseded by this run.
        await this.db
          .delete(pendingRuns)
          .where(and(eq(pendingRuns.scheduleId, scheduleId), eq(pendingRuns.sourceGroupId, g.id)));
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        await this.#queuePending(hostId, scheduleId, g.id, new Date(slotAt), 1, e.message);
      }
    }
    return jobIds;
  }

  /**
   * Accounts for every slot of every enabled schedule up to `now - FIRE_GRACE_MS`: a slot with
   * no job goes to the pending-runs queue (coalesced per schedule and group). Returns how many
   * (schedule, group) pairs were queued.
   */
  async account(options: { hostId?: string; untilNow?: boolean } = {}): Promise<number> {
    const until = new Date(this.now() - (options.untilNow ? 0 : FIRE_GRACE_MS));
    const rows = await this.db
      .select({ schedule: schedules, timezone: hosts.timezone, hostStatus: hosts.status })
      .from(schedules)
      .innerJoin(hosts, eq(hosts.id, schedules.hostId))
      .where(
        and(
          eq(schedules.enabled, true),
          sql`${hosts.status} != 'revoked'`,
          options.hostId ? eq(schedules.hostId, options.hostId) : undefined,
        ),
      );
    let queued = 0;
    for (const { schedule, timezone } of rows) {
      if (schedule.accountedUntil >= until) continue;
      let slots: { count: number; latest: Date | null };
      try {
        slots = slotsBetween(schedule.cron, timezone, schedule.accountedUntil, until);
      } catch {
        continue; // An expression that no longer parses (time zone changed?) is shown in the list.
      }
      if (slots.latest) {
        const groups = await this.db
          .select({ id: scheduleSourceGroups.sourceGroupId })
          .from(scheduleSourceGroups)
          .where(eq(scheduleSourceGroups.scheduleId, schedule.id));
        for (const g of groups) {
          // Slots that did run (the agent fired them) are not missed.
          const [ran] = await this.db
            .select({ id: jobs.id })
            .from(jobs)
            .where(
              and(eq(jobs.scheduleId, schedule.id), eq(jobs.sourceGroupId, g.id), eq(jobs.scheduledFor, slots.latest)),
            );
          if (ran) continue;
          await this.#queuePending(
            schedule.hostId,
            schedule.id,
            g.id,
            slots.latest,
            slots.count,
            "the host was offline or its agent did not fire the slot",
          );
          queued++;
        }
      }
      await this.db.update(schedules).set({ accountedUntil: until }).where(eq(schedules.id, schedule.id));
    }
    return queued;
  }

  /**
   * Starts due catch-up runs: all of `hostId`'s when its agent just said hello, otherwise every
   * row whose backoff has passed. A run that cannot start backs off (doubling, capped at 30 min)
   * and is abandoned, with an audit row, after the group's retry max.
   */
  async drainPending(options: { hostId?: string } = {}): Promise<{ started: number; abandoned: number }> {
    const now = this.now();
    const rows = await this.db
      .select({ run: pendingRuns, retryMax: sourceGroups.retryMax, backoff: sourceGroups.retryBackoffSeconds })
      .from(pendingRuns)
      .innerJoin(sourceGroups, eq(sourceGroups.id, pendingRuns.sourceGroupId))
      .where(options.hostId ? eq(pendingRuns.hostId, options.hostId) : sql`${pendingRuns.nextAttemptAt} <= ${now}`)
      .orderBy(asc(pendingRuns.slotAt))
      .limit(500);
    let started = 0;
    let abandoned = 0;
    for (const { run, retryMax, backoff } of rows) {
      try {
        await this.run.backup(run.sourceGroupId, scheduleActor(run.scheduleId), {
          trigger: "catch-up",
          scheduleId: run.scheduleId,
          scheduledFor: run.slotAt,
          queue: true,
        });
        await this.db.delete(pendingRuns).where(eq(pendingRuns.id, run.id));
        started++;
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        const attempts = run.attempts + 1;
        if (attempts > retryMax || e.code === "NOT_FOUND") {
          await this.#abandon(run, attempts, e.message);
          abandoned++;
        } else {
          const delay = Math.min(backoff * 1000 * 2 ** attempts, MAX_BACKOFF_MS);
          await this.db
            .update(pendingRuns)
            .set({ attempts, nextAttemptAt: new Date(now + delay), lastError: e.message })
            .where(eq(pendingRuns.id, run.id));
        }
      }
      this.events.emit("host.changed", { hostId: run.hostId });
    }
    return { started, abandoned };
  }

  async #abandon(run: typeof pendingRuns.$inferSelect, attempts: number, reason: string) {
    await this.db.transaction(async (tx) => {
      await tx.delete(pendingRuns).where(eq(pendingRuns.id, run.id));
      const [info] = await tx
        .select({ host: hosts.name, group: sourceGroups.name })
        .from(hosts)
        .leftJoin(sourceGroups, eq(sourceGroups.id, run.sourceGroupId))
        .where(eq(hosts.id, run.hostId));
      await writeAudit(tx, SYSTEM_ACTOR, {
        action: "schedule.run_abandoned",
        target: { type: "schedule", id: run.scheduleId },
        summary: `gave up the catch-up backup of "${info?.group ?? "a deleted group"}" on "${info?.host ?? run.hostId}" for the slot ${run.slotAt.toISOString()} (${run.missedSlots} missed slot${run.missedSlots === 1 ? "" : "s"}) after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${reason}`,
      });
    });
    this.events.emit("schedule.run_abandoned", {
      hostId: run.hostId,
      scheduleId: run.scheduleId,
      sourceGroupId: run.sourceGroupId,
      reason: `gave up the catch-up backup for the slot ${run.slotAt.toISOString()} after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${reason}`,
    });
  }

  /** The host's queued catch-up runs, for its schedules page. */
  pending(hostId: string) {
    return this.db
      .select({
        id: pendingRuns.id,
        scheduleId: pendingRuns.scheduleId,
        groupName: sourceGroups.name,
        slotAt: pendingRuns.slotAt,
        missedSlots: pendingRuns.missedSlots,
        attempts: pendingRuns.attempts,
        nextAttemptAt: pendingRuns.nextAttemptAt,
        lastError: pendingRuns.lastError,
      })
      .from(pendingRuns)
      .innerJoin(sourceGroups, eq(sourceGroups.id, pendingRuns.sourceGroupId))
      .where(eq(pendingRuns.hostId, hostId))
      .orderBy(asc(pendingRuns.slotAt));
  }

  async #queuePending(
    hostId: string,
    scheduleId: string,
    groupId: string,
    slotAt: Date,
    missed: number,
    reason: string,
  ) {
    const [group] = await this.db
      .select({ backoff: sourceGroups.retryBackoffSeconds })
      .from(sourceGroups)
      .where(eq(sourceGroups.id, groupId));
    if (!group) return;
    await this.db
      .insert(pendingRuns)
      .values({
        id: newId(),
        hostId,
        scheduleId,
        sourceGroupId: groupId,
        slotAt,
        missedSlots: missed,
        attempts: 0,
        // Drained at once when the agent comes back; retried on this backoff while it stays away.
        nextAttemptAt: new Date(this.now() + group.backoff * 1000),
        lastError: reason,
      })
      .onConflictDoUpdate({
        target: [pendingRuns.scheduleId, pendingRuns.sourceGroupId],
        set: {
          slotAt: sql`max(${pendingRuns.slotAt}, excluded.slot_at)`,
          missedSlots: sql`${pendingRuns.missedSlots} + excluded.missed_slots`,
          lastError: reason,
        },
      });
    this.events.emit("host.changed", { hostId });
  }
}
