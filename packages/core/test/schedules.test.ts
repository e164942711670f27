/**
 * Schedules, pending runs, maintenance and the secrets that travel with commands, against a real
 * SQLite file and a recording agent link, with the clock driven by the test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  auditLog,
  type Database,
  hostCredentials,
  hosts,
  jobs,
  migrateDatabase,
  newId,
  openDatabase,
  pendingRuns,
  sourceGroups,
} from "@restic-manager/db";
import type { AgentMessage } from "@restic-manager/protocol";
import { Cron } from "croner";
import { and, eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AgentLink,
  type Core,
  CronError,
  createCore,
  describeCron,
  EMPTY_RETENTION,
  FIRE_GRACE_MS,
  findRetentionConflicts,
  MAX_BACKOFF_MS,
  parseCron,
  SecretBox,
  slotsBetween,
} from "../src/index.js";

const MIGRATIONS = resolve(import.meta.dirname, "../../../drizzle");
const operator = { kind: "user" as const, id: "u1", name: "op" };
const NONE = EMPTY_RETENTION;

let dir: string;
let close: () => void;
let db: Database;
let core: Core;
let hostId: string;
let sent: { hostId: string; type: string; payload: Record<string, unknown> }[];
let connected: boolean;
let clock: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "rm-sched-"));
  const handle = await openDatabase({ url: `file:${join(dir, "rm.db")}` });
  await migrateDatabase(handle.db, MIGRATIONS);
  close = handle.close;
  db = handle.db;
  clock = Date.parse("2026-03-27T12:00:00Z");
  sent = [];
  connected = true;
  const link: AgentLink = {
    isConnected: () => connected,
    send: (h, type, payload) => {
      if (!connected) return false;
      sent.push({ hostId: h, type, payload: payload as Record<string, unknown> });
      return true;
    },
  };
  core = createCore({ db, secrets: new SecretBox(Buffer.alloc(32, 3)), now: () => clock, agents: link });
  hostId = newId();
  await db.insert(hosts).values({ id: hostId, name: "web-01", status: "online", timezone: "Europe/Berlin" });
  await db.insert(hostCredentials).values({
    hostId,
    repoUrl: "/srv/restic",
    repoUsername: null,
    passwordEnc: core.secrets.encrypt("append-only-pw", {
      table: "host_credentials",
      column: "password_enc",
      rowId: hostId,
    }),
    updatedAt: new Date(),
  });
});
afterEach(() => {
  close();
  rmSync(dir, { recursive: true, force: true });
});

const finished = (jobId: string, status: "succeeded" | "failed", error: string | null = null) =>
  ({
    type: "job.finished",
    payload: { jobId, seq: 1, at: clock, status, exitCode: status === "succeeded" ? 0 : 1, error, summary: null },
  }) as Extract<AgentMessage, { type: "job.finished" }>;

async function group(name: string, paths: string[], extra: Record<string, unknown> = {}) {
  return core.sources.create(hostId, { name, includePaths: paths, excludePatterns: [], ...extra }, operator);
}

/** Finishes every active job of the host (the agent would); new queued ones start as others end. */
async function finishAll(status: "succeeded" | "failed" = "succeeded") {
  for (let i = 0; i < 20; i++) {
    const active = await db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.hostId, hostId), eq(jobs.status, "queued")));
    if (!active.length) return;
    for (const j of active) await core.jobEvents.apply(hostId, finished(j.id, status));
    await new Promise((r) => setTimeout(r, 5));
  }
}

const backups = () =>
  db
    .select()
    .from(jobs)
    .where(and(eq(jobs.hostId, hostId), eq(jobs.kind, "backup")))
    .orderBy(jobs.id);

describe("cron parsing", () => {
  it("names the field, accepts seconds, and describes", () => {
    expect(() => parseCron("61 * * * *", "UTC")).toThrow(CronError);
    expect(() => parseCron("61 * * * *", "UTC", "checkCron")).toThrow(/^checkCron: /);
    expect(() => parseCron("* * *", "UTC")).toThrow(/expected 5 fields .* got 3/);
    expect(() => parseCron("* * * * *", "Mars/Olympus")).toThrow(/not an IANA time zone/);
    expect(parseCron("*/10  * * * * *", "UTC").expr).toBe("*/10 * * * * *");
    expect(describeCron("*/10 * * * * *")).toBe("Every 10 seconds");
    expect(describeCron("30 2 * * *")).toBe("At 02:30");
  });

  it("counts missed slots without walking them all", () => {
    const after = new Date("2026-01-01T00:00:00Z");
    const until = new Date("2026-02-01T00:00:00Z");
    const r = slotsBetween("* * * * * *", "UTC", after, until, 50);
    expect(r.count).toBe(50);
    expect(r.latest?.toISOString()).toBe("2026-02-01T00:00:00.000Z");
    expect(slotsBetween("0 2 * * *", "UTC", until, until).count).toBe(0);
  });
});

describe("exactly one run per slot across DST (Europe/Berlin)", () => {
  for (const [label, cron, from, to, expectedSlots] of [
    ["daily 02:30 over the spring-forward night", "30 2 * * *", "2026-03-27T12:00:00Z", "2026-03-31T12:00:00Z", 4],
    ["daily 02:30 over the fall-back night", "30 2 * * *", "2026-10-23T12:00:00Z", "2026-10-27T12:00:00Z", 4],
    [
      "hourly on the spring-forward day (23 local hours)",
      "0 * * * *",
      "2026-03-28T22:59:59Z",
      "2026-03-29T22:00:00Z",
      23,
    ],
    ["hourly on the fall-back day (25 local hours)", "0 * * * *", "2026-10-24T21:59:59Z", "2026-10-25T23:00:00Z", 25],
  ] as const) {
    it(label, async () => {
      clock = Date.parse(from);
      const g = await group("etc", ["/etc"]);
      const schedule = await core.schedules.create(hostId, { cron, enabled: true, sourceGroupIds: [g.id] }, operator);
      // The agent arms the same expression with the same library; walk its slots.
      const agentCron = new Cron(cron, { timezone: "Europe/Berlin", paused: true });
      let slot = agentCron.nextRun(new Date(clock));
      const slots: number[] = [];
      while (slot && slot.getTime() < Date.parse(to)) {
        slots.push(slot.getTime());
        clock = slot.getTime();
        // Fired twice (a resend, a second agent process): one job.
        await core.schedules.fire(hostId, schedule.id, slot.getTime());
        await core.schedules.fire(hostId, schedule.id, slot.getTime());
        clock += FIRE_GRACE_MS + 1000;
        expect(await core.schedules.account()).toBe(0);
        await finishAll();
        slot = agentCron.nextRun(new Date(slot.getTime()));
      }
      expect(slots).toHaveLength(expectedSlots);
      const runs = await backups();
      expect(runs.map((r) => r.scheduledFor?.getTime())).toEqual(slots);
      expect(new Set(runs.map((r) => r.scheduledFor?.getTime())).size).toBe(slots.length);
      expect(runs.every((r) => r.trigger === "schedule")).toBe(true);
    });
  }

  it("ignores a fire for a time that is not a slot of the schedule", async () => {
    const g = await group("etc", ["/etc"]);
    const s = await core.schedules.create(
      hostId,
      { cron: "30 2 * * *", enabled: true, sourceGroupIds: [g.id] },
      operator,
    );
    expect(await core.schedules.fire(hostId, s.id, Date.parse("2026-03-28T01:31:00Z"))).toEqual([]);
    expect(await backups()).toHaveLength(0);
  });
});

describe("offline hosts and missed runs", () => {
  it("coalesces missed slots into one catch-up run when the agent returns", async () => {
    const g = await group("etc", ["/etc"]);
    const s = await core.schedules.create(
      hostId,
      { cron: "*/10 * * * * *", enabled: true, sourceGroupIds: [g.id] },
      operator,
    );
    connected = false;
    await db.update(hosts).set({ status: "offline" }).where(eq(hosts.id, hostId));
    clock += 35_000; // three slots pass with the agent away
    expect(await core.schedules.account()).toBe(1);
    const [row] = await db.select().from(pendingRuns);
    expect(row).toMatchObject({ missedSlots: 1, attempts: 0 });
    clock += 30_000;
    await core.schedules.account();
    const [coalesced] = await db.select().from(pendingRuns);
    expect(coalesced?.missedSlots).toBeGreaterThanOrEqual(3);
    // Back online: the gateway accounts up to now and drains the host's queue.
    connected = true;
    await db.update(hosts).set({ status: "online" }).where(eq(hosts.id, hostId));
    await core.schedules.account({ hostId, untilNow: true });
    expect(await core.schedules.drainPending({ hostId })).toEqual({ started: 1, abandoned: 0 });
    expect(await db.select().from(pendingRuns)).toHaveLength(0);
    const runs = await backups();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: "catch-up", scheduleId: s.id });
    // Nothing more later: the slots are accounted for.
    clock += FIRE_GRACE_MS;
    await finishAll();
    expect(await core.schedules.account()).toBe(0);
    expect(await core.schedules.drainPending()).toEqual({ started: 0, abandoned: 0 });
  });

  it("backs off exponentially up to 30 minutes and abandons after the group's retry max, audited", async () => {
    const g = await group("etc", ["/etc"], { retryMax: 6, retryBackoffSeconds: 300 });
    await core.schedules.create(hostId, { cron: "0 * * * *", enabled: true, sourceGroupIds: [g.id] }, operator);
    connected = false;
    clock = Date.parse("2026-03-27T13:00:30Z");
    expect(await core.schedules.account()).toBe(1);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 7; attempt++) {
      const [row] = await db.select().from(pendingRuns);
      if (!row) break;
      const before = row.nextAttemptAt.getTime();
      clock = before;
      const result = await core.schedules.drainPending();
      const [after] = await db.select().from(pendingRuns);
      if (after) delays.push(after.nextAttemptAt.getTime() - clock);
      else expect(result.abandoned).toBe(1);
    }
    expect(delays).toEqual([600_000, 1_200_000, 1_800_000, MAX_BACKOFF_MS, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);
    expect(await db.select().from(pendingRuns)).toHaveLength(0);
    const audits = await db.select().from(auditLog).where(eq(auditLog.action, "schedule.run_abandoned"));
    expect(audits).toHaveLength(1);
    expect(audits[0]?.summary).toMatch(/gave up the catch-up backup of "etc" on "web-01" .* after 7 attempts/);
    expect(await backups()).toHaveLength(0);
  });

  it("runs a schedule's groups one after another and never piles up waiting runs", async () => {
    const a = await group("etc", ["/etc"]);
    const b = await group("home", ["/home"]);
    const s = await core.schedules.create(
      hostId,
      { cron: "*/10 * * * * *", enabled: true, sourceGroupIds: [a.id, b.id] },
      operator,
    );
    const slot = new Cron("*/10 * * * * *", { paused: true }).nextRun(new Date(clock))?.getTime() ?? 0;
    clock = slot;
    expect(await core.schedules.fire(hostId, s.id, slot)).toHaveLength(2);
    expect(sent.filter((m) => m.type === "command.run")).toHaveLength(1);
    // Next slot while both are still busy: nothing new queues.
    clock = slot + 10_000;
    expect(await core.schedules.fire(hostId, s.id, slot + 10_000)).toHaveLength(0);
    const first = (await backups())[0];
    await core.jobEvents.apply(hostId, finished(first?.id ?? "", "succeeded"));
    await new Promise((r) => setTimeout(r, 20));
    expect(sent.filter((m) => m.type === "command.run")).toHaveLength(2);
    // (schedule.set went out too: the schedule's creation is pushed to the connected agent.)
    expect(sent.filter((m) => m.type === "command.run")[1]?.payload.params).toMatchObject({ tags: ["home"] });
  });
});

describe("schedule set pushed to the agent", () => {
  it("bumps the version on every change and lists the armed groups by name", async () => {
    const a = await group("etc", ["/etc"]);
    const [h0] = await db.select().from(hosts);
    const s = await core.schedules.create(
      hostId,
      { cron: "0 2 * * *", enabled: true, sourceGroupIds: [a.id] },
      operator,
    );
    const set = await core.schedules.scheduleSetFor(hostId);
    expect(set).toMatchObject({
      version: (h0?.scheduleVersion ?? 0) + 1,
      timezone: "Europe/Berlin",
      schedules: [{ scheduleId: s.id, cron: "0 2 * * *", enabled: true, groups: [{ id: a.id, name: "etc" }] }],
    });
    await core.sources.update(a.id, { name: "etc-renamed", includePaths: ["/etc"], excludePatterns: [] }, operator);
    expect((await core.schedules.scheduleSetFor(hostId))?.version).toBe((h0?.scheduleVersion ?? 0) + 2);
    await core.schedules.recordAck(hostId, (h0?.scheduleVersion ?? 0) + 2, null);
    const host = await core.hosts.get(hostId);
    expect(host.scheduleAckedVersion).toBe(host.scheduleVersion);
    await core.schedules.remove(s.id, operator);
    expect((await core.schedules.scheduleSetFor(hostId))?.schedules).toEqual([]);
  });

  it("the host list names the one enabled schedule covering all groups, and only one", async () => {
    const a = await group("etc", ["/etc"]);
    const b = await group("home", ["/home"]);
    const partial = { cron: "0 2 * * *", enabled: true, sourceGroupIds: [a.id] };
    await core.schedules.create(hostId, partial, operator);
    expect((await core.hosts.list()).items[0]?.coveringScheduleId).toBeNull();
    const all = await core.schedules.create(hostId, { ...partial, sourceGroupIds: [a.id, b.id] }, operator);
    expect((await core.hosts.list()).items[0]?.coveringScheduleId).toBe(all.id);
    const second = await core.schedules.create(hostId, { ...partial, sourceGroupIds: [a.id, b.id] }, operator);
    expect((await core.hosts.list()).items[0]?.coveringScheduleId).toBeNull();
    await core.schedules.update(second.id, { ...partial, sourceGroupIds: [a.id, b.id], enabled: false }, operator);
    expect((await core.hosts.list()).items[0]?.coveringScheduleId).toBe(all.id);
  });

  it("refuses an invalid cron naming the field, and groups of another host", async () => {
    const a = await group("etc", ["/etc"]);
    await expect(
      core.schedules.create(hostId, { cron: "0 25 * * *", enabled: true, sourceGroupIds: [a.id] }, operator),
    ).rejects.toThrow(/^cron: .*hour/i);
    await expect(
      core.schedules.create(hostId, { cron: "0 2 * * *", enabled: true, sourceGroupIds: [] }, operator),
    ).rejects.toThrow(/sourceGroupIds: pick at least one/);
    await expect(
      core.schedules.create(hostId, { cron: "0 2 * * *", enabled: true, sourceGroupIds: ["nope"] }, operator),
    ).rejects.toThrow(/sourceGroupIds: a group does not exist/);
    const preview = await core.schedules.preview(hostId, "*/15 * * * *");
    expect(preview).toMatchObject({ valid: true, description: "Every 15 minutes", timezone: "Europe/Berlin" });
    expect(preview.valid && preview.next).toHaveLength(3);
    expect(await core.schedules.preview(hostId, "nope")).toMatchObject({ valid: false });
  });
});

describe("source groups", () => {
  it("refuses deleting a group a schedule uses, naming the schedule", async () => {
    const a = await group("etc", ["/etc"]);
    const b = await group("home", ["/home"]);
    await core.schedules.create(hostId, { cron: "0 2 * * *", enabled: true, sourceGroupIds: [a.id, b.id] }, operator);
    await expect(core.sources.remove(a.id, operator)).rejects.toThrow(
      /"etc" is still backed up by a schedule: "0 2 \* \* \*". Remove it from that schedule first./,
    );
  });

  it("stores hooks encrypted, sends them only inside command.run, never in jobs.params", async () => {
    const a = await group("db", ["/var/lib/db"], {
      preHook: "pg_dump -U app > /var/lib/db/dump.sql",
      postHook: "rm -f /var/lib/db/dump.sql",
    });
    const [raw] = await db.select().from(sourceGroups).where(eq(sourceGroups.id, a.id));
    expect(raw?.preHookEnc?.toString("latin1")).not.toContain("pg_dump");
    expect(a).toMatchObject({ hasPreHook: true, hasPostHook: true });
    expect(JSON.stringify(await core.sources.list(hostId))).not.toContain("pg_dump");
    const { jobId } = await core.runNow.backup(a.id, operator);
    const run = sent.find((m) => m.type === "command.run");
    expect(run?.payload.params).toMatchObject({
      hooks: { pre: "pg_dump -U app > /var/lib/db/dump.sql", post: "rm -f /var/lib/db/dump.sql", timeoutSeconds: 300 },
    });
    const [row] = await db.select().from(jobs).where(eq(jobs.id, jobId));
    expect(JSON.stringify(row?.params)).not.toContain("pg_dump");
    // Omitted keeps, null clears.
    await core.sources.update(a.id, { name: "db", includePaths: ["/var/lib/db"], excludePatterns: [] }, operator);
    expect((await core.sources.hooks(a.id)).preHook).toContain("pg_dump");
    await core.sources.update(
      a.id,
      { name: "db", includePaths: ["/var/lib/db"], excludePatterns: [], preHook: null },
      operator,
    );
    expect((await core.sources.hooks(a.id)).preHook).toBeNull();
  });

  it("validates retention and reports overlapping groups with different retention", async () => {
    await expect(group("x", ["/x"], { retention: { ...NONE, keepWithin: "30 days" } })).rejects.toThrow(
      /keep within: "30 days" is not a restic duration/,
    );
    await expect(group("x", ["/x"], { retention: { ...NONE, keepDaily: 0 } })).rejects.toThrow(/daily/);
    const home = { id: "a", name: "home", includePaths: ["/home"], retention: { ...NONE, keepDaily: 7 } };
    const alice = { id: "b", name: "alice", includePaths: ["/home/alice/"], retention: { ...NONE, keepDaily: 30 } };
    const etc = { id: "c", name: "etc", includePaths: ["/etc"], retention: { ...NONE, keepLast: 3 } };
    const conflicts = findRetentionConflicts(home, [alice, etc]);
    expect(conflicts).toEqual([
      {
        groupId: "b",
        groupName: "alice",
        overlaps: [["/home", "/home/alice/"]],
        thisRetention: "daily 7",
        otherRetention: "daily 30",
      },
    ]);
    expect(findRetentionConflicts(home, [{ ...alice, retention: home.retention }])).toEqual([]);
  });
});

describe("maintenance", () => {
  it("forget runs once per group with its own retention and tag; groups without one are skipped", async () => {
    const a = await group("etc", ["/etc"], { retention: { ...NONE, keepLast: 2 } });
    await group("home", ["/home"]);
    const r = await core.runNow.forget(hostId, null, operator);
    expect(r.skipped).toEqual(["home"]);
    expect(r.jobIds).toHaveLength(1);
    const run = sent.find((m) => m.type === "command.run");
    expect(run?.payload).toMatchObject({
      kind: "forget",
      params: { keepLast: 2, keepDaily: null, tags: ["etc"], prune: false },
    });
    const [row] = await db
      .select()
      .from(jobs)
      .where(eq(jobs.id, r.jobIds[0] ?? ""));
    expect(row?.sourceGroupId).toBe(a.id);
  });

  it("prune carries the admin credential in the command only; check the subset; bandwidth caps ride along", async () => {
    await core.hosts.updateAdminCredentials(hostId, { username: "admin", password: "admin-pw-123" }, operator);
    await core.maintenance.updateBandwidth(hostId, { uploadKbps: 512, downloadKbps: null }, operator);
    const { jobId } = await core.runNow.prune(hostId, operator);
    const prune = sent.find((m) => m.type === "command.run");
    expect(prune?.payload).toMatchObject({
      kind: "prune",
      adminRepository: { url: "/srv/restic", username: "admin", password: "admin-pw-123" },
      limits: { uploadKbps: 512, downloadKbps: null },
    });
    const [row] = await db.select().from(jobs).where(eq(jobs.id, jobId));
    expect(JSON.stringify(row)).not.toContain("admin-pw-123");
    const [creds] = await db.select().from(hostCredentials);
    expect(creds?.adminPasswordEnc?.toString("latin1")).not.toContain("admin-pw-123");
    expect(JSON.stringify(await core.hosts.credentialsFor(hostId))).not.toContain("admin-pw-123");
    expect(await core.hosts.redactedCredentials(hostId)).toMatchObject({ admin: { username: "admin" } });
    await finishAll();
    await core.runNow.check(hostId, operator, 10);
    expect(sent.at(-1)?.payload).toMatchObject({ kind: "check", params: { readDataSubset: "10%" } });
    await finishAll();
    await core.runNow.unlock(hostId, operator);
    expect(sent.at(-1)?.payload).toMatchObject({ kind: "unlock", params: { removeAll: false } });
  });

  it("a per-run bandwidth override wins over the host's caps", async () => {
    const a = await group("etc", ["/etc"]);
    await core.maintenance.updateBandwidth(hostId, { uploadKbps: 512, downloadKbps: 2048 }, operator);
    await core.runNow.backup(a.id, operator, { limits: { uploadKbps: 64, downloadKbps: null } });
    expect(sent.at(-1)?.payload.limits).toEqual({ uploadKbps: 64, downloadKbps: null });
  });

  it("the ticker runs due work on online idle hosts only, one kind at a time, once per slot", async () => {
    await group("etc", ["/etc"], { retention: { ...NONE, keepDaily: 7 } });
    await core.maintenance.updateSettings(
      hostId,
      { enabled: true, forgetCron: "0 3 * * *", pruneCron: null, checkCron: "0 4 * * *", checkSubsetPct: 5 },
      operator,
    );
    expect(await core.maintenance.tick()).toEqual({ dispatched: 0, skippedBusy: 0 });
    clock = Date.parse("2026-03-28T02:00:30Z"); // 03:00:30 in Berlin
    expect((await core.maintenance.tick()).dispatched).toBe(1);
    expect(sent.at(-1)?.payload.kind).toBe("forget");
    expect(await core.maintenance.tick()).toEqual({ dispatched: 0, skippedBusy: 0 });
    clock = Date.parse("2026-03-28T03:00:30Z"); // check due while forget still runs
    expect(await core.maintenance.tick()).toEqual({ dispatched: 0, skippedBusy: 1 });
    await finishAll();
    connected = false;
    expect((await core.maintenance.tick()).dispatched).toBe(0);
    connected = true;
    expect((await core.maintenance.tick()).dispatched).toBe(1);
    expect(sent.at(-1)?.payload).toMatchObject({ kind: "check", params: { readDataSubset: "5%" } });
    await expect(
      core.maintenance.updateSettings(
        hostId,
        { enabled: true, forgetCron: "every day", pruneCron: null, checkCron: null, checkSubsetPct: 5 },
        operator,
      ),
    ).rejects.toThrow(/^forgetCron: /);
  });

  it("a job failing on a lock raises the stale-lock banner; a successful unlock clears it", async () => {
    const a = await group("etc", ["/etc"]);
    const { jobId } = await core.runNow.backup(a.id, operator);
    await core.jobEvents.apply(
      hostId,
      finished(jobId, "failed", "unable to create lock in backend: repository is already locked by PID 4242 on web-01"),
    );
    expect((await core.maintenance.overview(hostId)).lock?.error).toMatch(/already locked by PID 4242/);
    const unlock = await core.runNow.unlock(hostId, operator);
    await core.jobEvents.apply(hostId, finished(unlock.jobId, "succeeded"));
    expect((await core.maintenance.overview(hostId)).lock).toBeNull();
  });
});
