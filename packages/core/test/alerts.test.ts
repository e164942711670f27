/**
 * Alerts with real sinks on loopback: an SMTP server (smtp-server), and an HTTP server acting
 * as webhook and ntfy endpoints. Jobs are driven through core.jobEvents.apply as the gateway
 * would; time-based rules run on an injected clock.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { alertDeliveries, auditLog, hosts, migrateDatabase, newId, openDatabase } from "@restic-manager/db";
import type { AgentMessage } from "@restic-manager/protocol";
import {
  type AlertSinks,
  type HttpHit,
  type ReceivedMail,
  startAlertSinks,
  verifyWebhookSignature,
} from "@restic-manager/testkit";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AgentLink, type Core, createCore, SecretBox } from "../src/index.js";

const MIGRATIONS = resolve(import.meta.dirname, "../../../drizzle");
const operator = { kind: "user" as const, id: "u1", name: "op" };
const admin = { kind: "user" as const, id: "u0", name: "admin" };
const WEBHOOK_SECRET = "canary-webhook-5f1c9e2a7b";
const NTFY_TOKEN = "canary-ntfy-tk_8d3e1f";
const SMTP_PASSWORD = "canary-smtp-pw-2b7a";
const CANARIES = [WEBHOOK_SECRET, NTFY_TOKEN, SMTP_PASSWORD];
const NO_ROUTING = { rules: [], severities: [], hostTags: [] };

let dir: string;
let dbFile: string;
let close: () => void;
let core: Core;
let hostId: string;
let clock: number | null;
let sinks: AlertSinks;
let httpHits: HttpHit[];
let mails: ReceivedMail[];
let httpBase: string;
let smtpPort: number;
let refusedPort: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "rm-alerts-"));
  dbFile = join(dir, "rm.db");
  const handle = await openDatabase({ url: `file:${dbFile}` });
  await migrateDatabase(handle.db, MIGRATIONS);
  close = handle.close;
  clock = null;
  const link: AgentLink = { isConnected: () => true, send: () => true };
  core = createCore({
    db: handle.db,
    secrets: new SecretBox(Buffer.alloc(32, 7)),
    agents: link,
    now: () => clock ?? Date.now(),
    alertDelivery: { retryBaseMs: 200, maxAttempts: 4, attemptTimeoutMs: 5000 },
  });
  hostId = newId();
  await handle.db.insert(hosts).values({ id: hostId, name: "web-01", status: "online", tags: ["prod"] });
  sinks = await startAlertSinks({ username: "alerts", password: SMTP_PASSWORD });
  ({ hits: httpHits, mails, httpUrl: httpBase, smtpPort, refusedPort } = sinks);
});
afterEach(async () => {
  core.alertDelivery.stop();
  await core.alertDelivery.idle();
  await sinks.close();
  close();
  rmSync(dir, { recursive: true, force: true });
});

async function addChannels(opts: { refusing?: boolean } = {}) {
  const webhook = await core.alertChannels.create(
    {
      kind: "webhook",
      name: "ops hook",
      enabled: true,
      settings: { url: `${httpBase}/hook` },
      secret: { signingSecret: WEBHOOK_SECRET },
      routing: NO_ROUTING,
    },
    admin,
  );
  const ntfy = await core.alertChannels.create(
    {
      kind: "ntfy",
      name: "phone",
      enabled: true,
      settings: { serverUrl: `${httpBase}/ntfy`, topic: "backups" },
      secret: { token: NTFY_TOKEN },
      routing: NO_ROUTING,
    },
    admin,
  );
  const email = await core.alertChannels.create(
    {
      kind: "email",
      name: "ops mail",
      enabled: true,
      settings: {
        host: "127.0.0.1",
        port: smtpPort,
        security: "none",
        username: "alerts",
        from: "restic-manager@example.test",
        to: ["ops@example.test"],
      },
      secret: { password: SMTP_PASSWORD },
      routing: NO_ROUTING,
    },
    admin,
  );
  const refusing = opts.refusing
    ? await core.alertChannels.create(
        {
          kind: "webhook",
          name: "dead hook",
          enabled: true,
          settings: { url: `http://127.0.0.1:${refusedPort}/hook` },
          secret: { signingSecret: "another-secret-1234" },
          routing: NO_ROUTING,
        },
        admin,
      )
    : null;
  return { webhook, ntfy, email, refusing };
}

const finished = (jobId: string, status: "succeeded" | "failed", error: string | null = null) =>
  ({
    type: "job.finished",
    payload: {
      jobId,
      seq: 2,
      at: clock ?? Date.now(),
      status,
      exitCode: status === "succeeded" ? 0 : 1,
      error,
      summary: null,
    },
  }) as unknown as Extract<AgentMessage, { type: "job.finished" }>;

async function runBackup(groupId: string, status: "succeeded" | "failed", error: string | null = null) {
  const { jobId } = await core.runNow.backup(groupId, operator);
  await core.jobEvents.apply(hostId, finished(jobId, status, error));
  await core.alertEvaluator.settled();
  return jobId;
}

async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const verifySignature = verifyWebhookSignature;

describe("a failed backup", () => {
  it("raises an alert delivered to webhook, ntfy and SMTP within 60 s; the next success resolves it and notifies", async () => {
    await addChannels();
    const group = await core.sources.create(
      hostId,
      { name: "etc", includePaths: ["/etc"], excludePatterns: [] },
      operator,
    );
    const started = Date.now();
    const jobId = await runBackup(
      group.id,
      "failed",
      "Fatal: unable to save snapshot: disk quota exceeded\nmore detail",
    );

    const [alert] = (await core.alerts.list({ limit: 10 })).items;
    expect(alert).toMatchObject({ rule: "backup_failed", status: "open", severity: "critical", count: 1, jobId });
    expect(alert?.sourceGroupName).toBe("etc");

    const hook = await until("webhook", () => httpHits.find((h) => h.path === "/hook"));
    const ntfy = await until("ntfy", () => httpHits.find((h) => h.path === "/ntfy/backups"));
    const mail = await until("mail", () => mails[0]);
    expect(Date.now() - started).toBeLessThan(60_000);

    const body = JSON.parse(hook.body);
    expect(body).toMatchObject({
      version: 1,
      event: "opened",
      alert: { id: alert?.id, rule: "backup_failed", hostName: "web-01" },
    });
    expect(verifySignature(hook.headers["x-restic-manager-signature"] as string, hook.body, WEBHOOK_SECRET)).toBe(true);
    expect(
      verifySignature(hook.headers["x-restic-manager-signature"] as string, hook.body, "wrong-secret-000000"),
    ).toBe(false);
    expect(ntfy.headers.authorization).toBe(`Bearer ${NTFY_TOKEN}`);
    expect(ntfy.headers.priority).toBe("5");
    expect(ntfy.body).toContain("disk quota exceeded");
    expect(mail).toMatchObject({ to: ["ops@example.test"], user: "alerts" });
    expect(mail.raw).toContain("Subject: Backup failed: web-01 / etc");
    expect(mail.raw).toContain("text/html");

    // A repeat raises count and last-seen, without a second notification.
    await runBackup(group.id, "failed", "Fatal: again");
    expect(await core.alerts.get(alert?.id as string)).toMatchObject({ count: 2, status: "open" });

    await runBackup(group.id, "succeeded");
    expect(await core.alerts.get(alert?.id as string)).toMatchObject({ status: "resolved", resolvedHow: "auto" });
    const resolvedHook = await until("resolve webhook", () =>
      httpHits.find((h) => h.path === "/hook" && JSON.parse(h.body).event === "resolved"),
    );
    expect(JSON.parse(resolvedHook.body).alert.status).toBe("resolved");
    await until("resolve ntfy", () => httpHits.filter((h) => h.path === "/ntfy/backups").length === 2);
    await until("resolve mail", () => mails.find((m) => m.raw.includes("[RESOLVED]")));
    expect(httpHits.filter((h) => h.path === "/hook")).toHaveLength(2);

    const audit = await core.db.select().from(auditLog);
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(["alert.opened", "alert.repeated", "alert.resolved"]),
    );
  });

  it("keeps retrying a refusing channel with backoff while the others deliver, flags it, and the console keeps answering", async () => {
    const { refusing } = await addChannels({ refusing: true });
    const group = await core.sources.create(
      hostId,
      { name: "etc", includePaths: ["/etc"], excludePatterns: [] },
      operator,
    );
    await runBackup(group.id, "failed", "Fatal: boom");
    await until("webhook", () => httpHits.find((h) => h.path === "/hook"));
    await until("mail", () => mails[0]);
    // The console answers while the dead channel is being retried.
    expect((await core.alerts.openCount()).total).toBe(1);
    const attempts = await until("four failed attempts of the dead channel", async () => {
      const rows = await core.db
        .select()
        .from(alertDeliveries)
        .where(eq(alertDeliveries.channelId, refusing?.id as string));
      return rows.filter((r) => r.status === "failed").length === 4 && rows;
    });
    const failed = attempts.filter((r) => r.status === "failed").sort((a, b) => a.attempt - b.attempt);
    expect(failed.map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
    expect(failed[0]?.error).toMatch(/cannot reach the webhook: ECONNREFUSED/);
    // Each retry waited longer than the one before (200, 400, 800 ms).
    const gaps = failed.slice(1).map((r, i) => r.nextAttemptAt.getTime() - (failed[i]?.finishedAt?.getTime() ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(200);
    expect(gaps[1]).toBeGreaterThanOrEqual(400);
    expect(gaps[2]).toBeGreaterThanOrEqual(800);
    const dead = await core.alertChannels.get(refusing?.id as string);
    expect(dead).toMatchObject({ failing: true, consecutiveFailures: 4 });
    const others = (await core.alertChannels.list()).filter((c) => c.id !== refusing?.id);
    expect(others.every((c) => !c.failing && c.lastDeliveredAt)).toBe(true);
    const [alert] = (await core.alerts.list({ limit: 1 })).items;
    expect((await core.alertDelivery.log(alert?.id as string)).length).toBe(4 + 3);
  });
});

describe("channels", () => {
  it("sends a test, refuses bad input with clear messages, and never answers or stores a secret in clear", async () => {
    const { webhook } = await addChannels();
    const test = await core.alertDelivery.sendTest(webhook.id);
    expect(test).toMatchObject({ ok: true, error: null });
    const hit = httpHits.find((h) => h.path === "/hook");
    expect(JSON.parse(hit?.body ?? "{}")).toMatchObject({ event: "test", alert: null });

    await expect(
      core.alertChannels.create(
        {
          kind: "webhook",
          name: "x",
          enabled: true,
          settings: { url: "ftp://x" },
          secret: { signingSecret: "0123456789abcdef" },
          routing: NO_ROUTING,
        },
        admin,
      ),
    ).rejects.toThrow(/only http:\/\/ and https:\/\//);
    await expect(
      core.alertChannels.create(
        {
          kind: "webhook",
          name: "x",
          enabled: true,
          settings: { url: "http://x" },
          secret: { signingSecret: "short" },
          routing: NO_ROUTING,
        },
        admin,
      ),
    ).rejects.toThrow(/at least 16 characters/);
    // Updating without a secret keeps the stored one.
    const kept = await core.alertChannels.update(
      webhook.id,
      {
        kind: "webhook",
        name: "ops hook 2",
        enabled: true,
        settings: { url: `${httpBase}/hook` },
        routing: NO_ROUTING,
      },
      admin,
    );
    expect(kept.hasSecret).toBe(true);

    const group = await core.sources.create(
      hostId,
      { name: "etc", includePaths: ["/etc"], excludePatterns: [] },
      operator,
    );
    await runBackup(group.id, "failed", `Fatal: bad password ${SMTP_PASSWORD}`);
    await until("mail", () => mails[0]);
    await core.alertDelivery.idle();

    const answers = JSON.stringify([await core.alertChannels.list(), await core.alerts.list({ limit: 50 })]);
    const file =
      readFileSync(dbFile).toString("latin1") + readFileSync(`${dbFile}-wal`, { flag: "a+" }).toString("latin1");
    for (const canary of CANARIES.slice(0, 2)) {
      expect(answers).not.toContain(canary);
      expect(file).not.toContain(canary);
    }
    // The SMTP password appears only where an operator's own job error put it, never from the channel.
    const deliveries = await core.db.select().from(alertDeliveries);
    expect(JSON.stringify(deliveries)).not.toContain(SMTP_PASSWORD);
    expect(JSON.stringify(await core.alertChannels.list())).not.toContain(SMTP_PASSWORD);
    expect(
      JSON.stringify(await core.db.select().from(auditLog).where(eq(auditLog.targetType, "alert_channel"))),
    ).not.toMatch(new RegExp(CANARIES.join("|")));
  });

  it("routes by rule, severity and host tag", async () => {
    await core.alertChannels.create(
      {
        kind: "webhook",
        name: "staging only",
        enabled: true,
        settings: { url: `${httpBase}/staging` },
        secret: { signingSecret: WEBHOOK_SECRET },
        routing: { rules: [], severities: [], hostTags: ["staging"] },
      },
      admin,
    );
    await core.alertChannels.create(
      {
        kind: "webhook",
        name: "offline only",
        enabled: true,
        settings: { url: `${httpBase}/offline` },
        secret: { signingSecret: WEBHOOK_SECRET },
        routing: { rules: ["agent_offline"], severities: ["warning"], hostTags: [] },
      },
      admin,
    );
    await core.alertChannels.create(
      {
        kind: "webhook",
        name: "prod critical",
        enabled: true,
        settings: { url: `${httpBase}/prod` },
        secret: { signingSecret: WEBHOOK_SECRET },
        routing: { rules: [], severities: ["critical"], hostTags: ["prod"] },
      },
      admin,
    );
    const group = await core.sources.create(
      hostId,
      { name: "etc", includePaths: ["/etc"], excludePatterns: [] },
      operator,
    );
    await runBackup(group.id, "failed", "Fatal: boom");
    await until("prod", () => httpHits.find((h) => h.path === "/prod"));
    await core.alertDelivery.idle();
    expect(httpHits.map((h) => h.path)).toEqual(["/prod"]);
  });
});

describe("agent offline", () => {
  it("raises after the threshold, resolves when the agent is back, and a shorter flap raises nothing", async () => {
    clock = Date.parse("2026-06-01T10:00:00Z");
    await core.alertRules.update({ rules: { agent_offline: { threshold: 10 } } }, admin);
    await core.db
      .update(hosts)
      .set({ lastSeenAt: new Date(clock) })
      .where(eq(hosts.id, hostId));
    await core.hosts.recordDisconnect(hostId);

    // A flap: back after 5 minutes.
    clock += 5 * 60_000;
    expect((await core.alertEvaluator.tick()).opened).toBe(0);
    await core.db
      .update(hosts)
      .set({ status: "online", lastSeenAt: new Date(clock) })
      .where(eq(hosts.id, hostId));
    core.events.emit("host.status", { hostId, status: "online" });
    await core.alertEvaluator.settled();
    clock += 20 * 60_000;
    expect((await core.alertEvaluator.tick()).opened).toBe(0);
    expect((await core.alerts.list({ limit: 10 })).total).toBe(0);

    // Gone for longer than the threshold (heard from until it went).
    await core.db
      .update(hosts)
      .set({ lastSeenAt: new Date(clock) })
      .where(eq(hosts.id, hostId));
    await core.hosts.recordDisconnect(hostId);
    clock += 9 * 60_000;
    expect((await core.alertEvaluator.tick()).opened).toBe(0);
    clock += 2 * 60_000;
    expect((await core.alertEvaluator.tick()).opened).toBe(1);
    clock += 5 * 60_000;
    expect((await core.alertEvaluator.tick()).opened).toBe(0);
    const [alert] = (await core.alerts.list({ status: "unresolved", limit: 10 })).items;
    expect(alert).toMatchObject({ rule: "agent_offline", severity: "warning", count: 1 });

    // A per-host override that disables the rule stops new alerts for that host only.
    await core.hosts.recordHello(hostId, {
      protocolVersion: 1,
      agentVersion: "1",
      hostname: "web-01",
      os: "linux",
      arch: "x64",
      restic: { version: "0.14.0", error: null },
    } as never);
    await core.alertEvaluator.settled();
    expect(await core.alerts.get(alert?.id as string)).toMatchObject({ status: "resolved", resolvedHow: "auto" });
    await core.alertRules.update({ hostId, rules: { agent_offline: { enabled: false } } }, admin);
    await core.hosts.recordDisconnect(hostId);
    clock += 60 * 60_000;
    expect((await core.alertEvaluator.tick()).opened).toBe(0);
    const settings = await core.alertRules.get(hostId);
    expect(settings.rules.agent_offline).toMatchObject({ enabled: false, threshold: 10 });
  });

  it("counts offline time from the console's first look, so agents reconnecting after a console outage raise nothing", async () => {
    clock = Date.parse("2026-06-01T10:00:00Z");
    await core.db
      .update(hosts)
      .set({ status: "offline", lastSeenAt: new Date(clock - 24 * 3_600_000) })
      .where(eq(hosts.id, hostId));
    expect((await core.alertEvaluator.tick()).opened).toBe(0);
    clock += 14 * 60_000;
    expect((await core.alertEvaluator.tick()).opened).toBe(0);
    clock += 2 * 60_000;
    expect((await core.alertEvaluator.tick()).opened).toBe(1);
  });
});

describe("RPO", () => {
  it("alerts for a schedule that stopped firing, not for a paused one, and a success resolves it", async () => {
    clock = Date.parse("2026-06-01T10:00:00Z");
    const hourly = await core.sources.create(
      hostId,
      { name: "hourly", includePaths: ["/srv"], excludePatterns: [] },
      operator,
    );
    const paused = await core.sources.create(
      hostId,
      { name: "paused", includePaths: ["/opt"], excludePatterns: [] },
      operator,
    );
    await core.schedules.create(hostId, { cron: "0 * * * *", enabled: true, sourceGroupIds: [hourly.id] }, operator);
    const p = await core.schedules.create(
      hostId,
      { cron: "0 * * * *", enabled: true, sourceGroupIds: [paused.id] },
      operator,
    );
    await core.schedules.update(p.id, { cron: "0 * * * *", enabled: false, sourceGroupIds: [paused.id] }, operator);

    // RPO = 2 x 60 min + 60 min grace.
    clock += 179 * 60_000;
    expect((await core.alertEvaluator.tick()).opened).toBe(0);
    clock += 2 * 60_000;
    expect((await core.alertEvaluator.tick()).opened).toBe(1);
    const { items } = await core.alerts.list({ rule: "rpo_breached", limit: 10 });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ sourceGroupName: "hourly", status: "open" });

    const breached = await core.backupHealth.list(hostId);
    expect(breached.items.map((i) => [i.sourceGroupName, i.state, i.rpoMinutes, i.openAlerts])).toEqual([
      ["hourly", "rpo_breached", 180, 1],
      ["paused", "unscheduled", null, 0],
    ]);

    await runBackup(hourly.id, "succeeded");
    expect((await core.alerts.get(items[0]?.id as string)).status).toBe("resolved");
    const healthy = await core.backupHealth.list();
    expect(healthy.items.find((i) => i.sourceGroupId === hourly.id)).toMatchObject({
      state: "ok",
      lastBackupStatus: "succeeded",
      rpoSource: "schedule",
      rpoDueAt: new Date(clock + 180 * 60_000),
    });
    expect(healthy.counts).toMatchObject({ ok: 1, unscheduled: 1, failing: 0 });
    await runBackup(paused.id, "failed", "Fatal: disk full");
    expect((await core.backupHealth.list()).items[0]).toMatchObject({ sourceGroupName: "paused", state: "failing" });

    // A per-group RPO override.
    await core.alertRules.update(
      { hostId, rules: {}, groupRpo: [{ sourceGroupId: hourly.id, rpoMinutes: 30 }] },
      admin,
    );
    clock += 31 * 60_000;
    expect((await core.alertEvaluator.tick()).opened).toBe(1);
  });
});

describe("lifecycle", () => {
  it("acknowledges with who and a note, resolves by hand, and reopens as a new alert when seen again", async () => {
    const group = await core.sources.create(
      hostId,
      { name: "etc", includePaths: ["/etc"], excludePatterns: [] },
      operator,
    );
    await runBackup(group.id, "failed", "Fatal: one");
    const [alert] = (await core.alerts.list({ limit: 10 })).items;
    const acked = await core.alerts.acknowledge(alert?.id as string, operator, "looking into it");
    expect(acked).toMatchObject({ status: "acknowledged", acknowledgedBy: "op", ackNote: "looking into it" });
    expect((await core.alerts.openCount()).total).toBe(1);
    await runBackup(group.id, "failed", "Fatal: two");
    expect(await core.alerts.get(alert?.id as string)).toMatchObject({ status: "acknowledged", count: 2 });
    const resolved = await core.alerts.resolve(alert?.id as string, operator, "fixed the disk");
    expect(resolved).toMatchObject({ status: "resolved", resolvedHow: "manual", resolvedBy: "op" });
    await expect(core.alerts.acknowledge(alert?.id as string, operator, null)).rejects.toThrow(/already resolved/);
    await runBackup(group.id, "failed", "Fatal: three");
    const page = await core.alerts.list({ limit: 1 });
    expect(page.total).toBe(2);
    expect(page.items[0]?.id).not.toBe(alert?.id);
    const older = await core.alerts.list({ limit: 1, before: page.items[0]?.id });
    expect(older.items[0]?.id).toBe(alert?.id);
  });

  it("keeps one alert when the same condition is raised twice at once", async () => {
    const raise = () => core.alerts.raise({ rule: "agent_offline", hostId, severity: "warning", summary: "gone" });
    const [a, b] = await Promise.all([raise(), raise()]);
    expect(a?.alertId).toBe(b?.alertId);
    expect((await core.alerts.list({ limit: 10 })).items).toMatchObject([{ count: 2 }]);
  });

  it("raises run_abandoned from the schedule event and check_failed from a failed check", async () => {
    const group = await core.sources.create(
      hostId,
      { name: "etc", includePaths: ["/etc"], excludePatterns: [] },
      operator,
    );
    core.events.emit("schedule.run_abandoned", {
      hostId,
      scheduleId: "s1",
      sourceGroupId: group.id,
      reason: "gave up after 6 attempts",
    });
    await core.alertEvaluator.settled();
    const { jobId } = await core.dispatcher.dispatch(hostId, { kind: "check", params: {} }, operator);
    await core.jobEvents.apply(hostId, finished(jobId, "failed", "Fatal: pack 1234 damaged"));
    await core.alertEvaluator.settled();
    const rules = (await core.alerts.list({ limit: 10 })).items.map((a) => a.rule).sort();
    expect(rules).toEqual(["check_failed", "run_abandoned"]);
  });

  it("raises repo_unreachable when restic cannot open the repository, cleared by any job that gets through", async () => {
    const group = await core.sources.create(
      hostId,
      { name: "etc", includePaths: ["/etc"], excludePatterns: [] },
      operator,
    );
    await runBackup(
      group.id,
      "failed",
      "Fatal: unable to open config file: Stat: stat /srv/repo/config: no such file or directory\nIs there a repository at the following location?",
    );
    await runBackup(group.id, "failed", "Fatal: pre-hook exited with code 1");
    const open = await core.alerts.list({ status: "unresolved", limit: 10 });
    expect(open.items.map((a) => [a.rule, a.count]).sort()).toEqual([
      ["backup_failed", 2],
      ["repo_unreachable", 1],
    ]);
    const { jobId } = await core.dispatcher.dispatch(hostId, { kind: "check", params: {} }, operator);
    await core.jobEvents.apply(hostId, finished(jobId, "succeeded"));
    await core.alertEvaluator.settled();
    expect((await core.alerts.list({ rule: "repo_unreachable", limit: 1 })).items[0]?.status).toBe("resolved");
    expect((await core.alerts.list({ rule: "backup_failed", limit: 1 })).items[0]?.status).toBe("open");
  });

  it("raises a stale lock after N hours and resolves it when a job gets through the lock", async () => {
    clock = Date.parse("2026-06-01T10:00:00Z");
    await core.db
      .update(hosts)
      .set({
        repoLockError: "Fatal: unable to create lock in backend: repository is already locked",
        repoLockAt: new Date(clock),
      })
      .where(eq(hosts.id, hostId));
    clock += 5 * 3_600_000;
    expect((await core.alertEvaluator.tick()).opened).toBe(0);
    clock += 3_600_000 + 1;
    expect((await core.alertEvaluator.tick()).opened).toBe(1);
    await core.db.update(hosts).set({ repoLockError: null, repoLockAt: null }).where(eq(hosts.id, hostId));
    expect((await core.alertEvaluator.tick()).resolved).toBe(1);
    expect((await core.alerts.list({ rule: "stale_lock", limit: 1 })).items[0]).toMatchObject({
      status: "resolved",
      resolvedHow: "auto",
    });
  });

  it("re-notifies open alerts at the fleet interval, not acknowledged ones", async () => {
    await addChannels();
    clock = Date.parse("2026-06-01T10:00:00Z");
    await core.alertRules.update({ rules: {}, renotifyMinutes: 30 }, admin);
    const a = await core.alerts.raise({ rule: "agent_offline", hostId, severity: "warning", summary: "gone" });
    const b = await core.alerts.raise({ rule: "stale_lock", hostId, severity: "warning", summary: "locked" });
    await core.alerts.acknowledge(b?.alertId as string, operator, null);
    clock += 29 * 60_000;
    expect((await core.alertEvaluator.tick()).renotified).toBe(0);
    clock += 2 * 60_000;
    expect((await core.alertEvaluator.tick()).renotified).toBe(1);
    expect((await core.alertEvaluator.tick()).renotified).toBe(0);
    const log = await core.alertDelivery.log(a?.alertId as string);
    expect(log.filter((d) => d.event === "renotify")).toHaveLength(3);
  });
});
