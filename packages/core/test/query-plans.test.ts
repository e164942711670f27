/**
 * The dashboard, host list, job lists and log tail must never scan jobs or job_logs: at a
 * million jobs and ten million log lines a full scan is the difference between 2 ms and 2 s.
 * Every statement these reads run is captured and EXPLAINed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { hosts, migrateDatabase, newId, openDatabase } from "@restic-manager/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Core, createCore, SecretBox } from "../src/index.js";

const MIGRATIONS = resolve(import.meta.dirname, "../../../drizzle");
let dir: string;
let close: () => void;
let core: Core;
let explain: (sql: string, params: unknown[]) => Promise<string[]>;
const captured: { sql: string; params: unknown[] }[] = [];
let hostId: string;
let groupId: string;
let scheduleId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "rm-plans-"));
  const handle = await openDatabase({
    url: `file:${join(dir, "rm.db")}`,
    logger: { logQuery: (sql, params) => void captured.push({ sql, params }) },
  });
  await migrateDatabase(handle.db, MIGRATIONS);
  close = handle.close;
  core = createCore({ db: handle.db, secrets: new SecretBox(Buffer.alloc(32, 3)) });
  hostId = newId();
  await handle.db.insert(hosts).values({ id: hostId, name: "h", status: "online" });
  const op = { kind: "user" as const, id: "u", name: "op" };
  const group = await core.sources.create(hostId, { name: "etc", includePaths: ["/etc"], excludePatterns: [] }, op);
  groupId = group.id;
  scheduleId = (
    await core.schedules.create(hostId, { cron: "0 2 * * *", enabled: true, sourceGroupIds: [group.id] }, op)
  ).id;
  const link = { isConnected: () => true, send: () => true };
  core.jobs.setAgentLink(link);
  core.maintenance.setAgentLink(link);
  // ANALYZE-free plans are what a fresh install gets; they must already be right.
  explain = async (sql, params) => {
    const res = await handle.client.execute({ sql: `EXPLAIN QUERY PLAN ${sql}`, args: params as never });
    return res.rows.map((r) => String(r.detail));
  };
});
afterAll(() => {
  close();
  rmSync(dir, { recursive: true, force: true });
});

async function plansOf(read: () => Promise<unknown>) {
  captured.length = 0;
  await read();
  const plans: { sql: string; plan: string[] }[] = [];
  for (const q of captured) {
    if (!/\b(jobs|job_logs)\b/.test(q.sql) || !/^\s*select/i.test(q.sql)) continue;
    plans.push({ sql: q.sql, plan: await explain(q.sql, q.params) });
  }
  return plans;
}

const FULL_SCAN = /^SCAN (jobs|job_logs)\b(?!.*USING (COVERING )?INDEX)/;

describe("query plans at fleet scale", () => {
  const reads: [string, () => Promise<unknown>][] = [
    ["dashboard tiles", () => core.hosts.fleetSummary()],
    ["host list", () => core.hosts.list()],
    ["fleet job list", async () => core.jobs.list({ limit: 50 })],
    ["fleet job list, next page", async () => core.jobs.list({ limit: 50, before: "01ZZZZZZZZZZZZZZZZZZZZZZZZ" })],
    ["jobs of a host", async () => core.jobs.list({ hostId, limit: 50 })],
    ["jobs of a host by kind", async () => core.jobs.list({ hostId, kind: "backup", limit: 50 })],
    ["failed jobs", async () => core.jobs.list({ status: "failed", limit: 50 })],
    ["jobs by kind", async () => core.jobs.list({ kind: "check", limit: 50 })],
    ["log tail", () => core.jobs.logs("01ZZZZZZZZZZZZZZZZZZZZZZZZ", 1000, 500)],
    ["latest init", () => core.jobs.latest(hostId, "init")],
    ["one job", () => core.jobs.get("01ZZZZZZZZZZZZZZZZZZZZZZZZ").catch(() => null)],
    ["schedules of a host", () => core.schedules.list(hostId)],
    ["missed-slot accounting", () => core.schedules.account({ untilNow: true })],
    ["pending-runs drain", () => core.schedules.drainPending({ hostId })],
    ["repo overview", () => core.maintenance.overview(hostId)],
    ["maintenance tick", () => core.maintenance.tick()],
    ["a schedule fire", () => core.schedules.fire(hostId, scheduleId, Date.parse("2026-01-01T02:00:00Z"))],
    ["a dispatch", () => core.jobs.runBackup(groupId, { kind: "user", id: "u", name: "op" }, { queue: true })],
  ];

  it.each(reads)("%s uses indexes on jobs and job_logs", async (name, read) => {
    const plans = await plansOf(read);
    if (process.env.SHOW_PLANS)
      for (const p of plans) console.log(name, "|", p.sql.slice(0, 160), "\n   ", p.plan.join(" / "));
    if (!["host list", "missed-slot accounting", "pending-runs drain"].includes(name))
      expect(plans.length, "no statement on jobs/job_logs was captured").toBeGreaterThan(0);
    for (const { sql, plan } of plans) {
      expect(
        plan.filter((line) => FULL_SCAN.test(line)),
        `${sql}\n${plan.join("\n")}`,
      ).toEqual([]);
      // A sort over all of a host's jobs would defeat LIMIT: lists walk an index in id order.
      if (/order by "jobs"."id"/i.test(sql)) {
        expect(
          plan.some((l) => l.includes("TEMP B-TREE")),
          `${sql}\n${plan.join("\n")}`,
        ).toBe(false);
      }
    }
  });
});
