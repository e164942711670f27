/**
 * The dashboard, host list, job lists and log tail must never scan jobs or job_logs: at a
 * million jobs and ten million log lines a full scan is the difference between 2 ms and 2 s.
 * Every statement these reads run is captured and EXPLAINed. The host list pages through ten
 * thousand hosts the same way: each of its statements is judged on hosts too (below).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { hosts, migrateDatabase, newId, openDatabase } from "@restic-manager/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Core, connectWork, createCore, SecretBox } from "../src/index.js";

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
  core = createCore({
    db: handle.db,
    secrets: new SecretBox(Buffer.alloc(32, 3)),
    agents: { isConnected: () => true, send: () => true },
  });
  hostId = newId();
  await handle.db.insert(hosts).values({ id: hostId, name: "h", status: "online" });
  const op = { kind: "user" as const, id: "u", name: "op" };
  const group = await core.sources.create(hostId, { name: "etc", includePaths: ["/etc"], excludePatterns: [] }, op);
  groupId = group.id;
  scheduleId = (
    await core.schedules.create(hostId, { cron: "0 2 * * *", enabled: true, sourceGroupIds: [group.id] }, op)
  ).id;
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

async function plansOf(read: () => Promise<unknown>, tables = /\b(jobs|job_logs)\b/) {
  captured.length = 0;
  await read();
  const plans: { sql: string; plan: string[] }[] = [];
  for (const q of captured) {
    if (!tables.test(q.sql) || !/^\s*select/i.test(q.sql)) continue;
    plans.push({ sql: q.sql, plan: await explain(q.sql, q.params) });
  }
  return plans;
}

const FULL_SCAN = /^SCAN (jobs|job_logs)\b(?!.*USING (COVERING )?INDEX)/;

describe("query plans at fleet scale", () => {
  const reads: [string, () => Promise<unknown>][] = [
    ["dashboard tiles", () => core.hosts.fleetSummary()],
    ["host list", () => core.hosts.list()],
    ["dashboard fleet table", () => core.hosts.list({ sort: "attention", status: "active" })],
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
    ["a dispatch", () => core.runNow.backup(groupId, { kind: "user", id: "u", name: "op" }, { queue: true })],
    ["an agent's hello: what it needs", () => connectWork(core.db, hostId, Date.now())],
  ];

  it.each(reads)("%s uses indexes on jobs and job_logs", async (name, read) => {
    const plans = await plansOf(read);
    if (process.env.SHOW_PLANS)
      for (const p of plans) console.log(name, "|", p.sql.slice(0, 160), "\n   ", p.plan.join(" / "));
    if (!["host list", "dashboard fleet table", "missed-slot accounting", "pending-runs drain"].includes(name))
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

/**
 * A page of hosts is a walk along an index in the page's order that LIMIT stops: never a scan of
 * the hosts table, never a sort of all matching hosts (TEMP B-TREE). The total is a count over an
 * index: a search (a substring of name, hostname or tag) has to look at every host once, and
 * does it in hosts_name_search_idx, which carries all it matches, never in the table rows.
 */
describe("host list plans at fleet scale", () => {
  const TABLE_SCAN = /^SCAN hosts\b(?!.*USING (COVERING )?INDEX)/;
  const cursorOf = async (query: Parameters<Core["hosts"]["list"]>[0], which: "nextCursor" | "prevCursor") => {
    const page = await core.hosts.list(query);
    if (!page[which]) throw new Error(`no ${which} for ${JSON.stringify(query)}`);
    return page[which];
  };
  const reads: [string, () => Promise<unknown>][] = [
    ["first page by name", () => core.hosts.list({ limit: 2 })],
    [
      "next page by name",
      async () => core.hosts.list({ limit: 2, cursor: await cursorOf({ limit: 2 }, "nextCursor") }),
    ],
    [
      "previous page by name",
      async () => {
        const third = await cursorOf({ limit: 2, cursor: await cursorOf({ limit: 2 }, "nextCursor") }, "nextCursor");
        return core.hosts.list({ limit: 2, cursor: await cursorOf({ limit: 2, cursor: third }, "prevCursor") });
      },
    ],
    [
      "dashboard: attention first, no revoked",
      () => core.hosts.list({ sort: "attention", status: "active", limit: 2 }),
    ],
    [
      "dashboard, next page",
      async () => {
        const query = { sort: "attention", status: "active", limit: 2 } as const;
        return core.hosts.list({ ...query, cursor: await cursorOf(query, "nextCursor") });
      },
    ],
    ["search", () => core.hosts.list({ search: "web", limit: 2 })],
    [
      "search, next page",
      async () =>
        core.hosts.list({ search: "web", limit: 2, cursor: await cursorOf({ search: "web", limit: 2 }, "nextCursor") }),
    ],
    ["search by attention", () => core.hosts.list({ search: "web", sort: "attention", limit: 2 })],
    ["online", () => core.hosts.list({ status: "online", limit: 2 })],
    ["offline", () => core.hosts.list({ status: "offline", limit: 2 })],
    ["pending", () => core.hosts.list({ status: "pending", limit: 2 })],
    ["revoked", () => core.hosts.list({ status: "revoked", limit: 2 })],
    ["needs attention, by name", () => core.hosts.list({ status: "attention", limit: 2 })],
    ["needs attention, by attention", () => core.hosts.list({ status: "attention", sort: "attention", limit: 2 })],
    ["active, by name", () => core.hosts.list({ status: "active", limit: 2 })],
    ["search and status", () => core.hosts.list({ search: "web", status: "online", limit: 2 })],
    ["picker options", () => core.hosts.options({ limit: 2 })],
    ["picker search", () => core.hosts.options({ search: "web", limit: 2 })],
  ];

  beforeAll(async () => {
    // Enough hosts in every state that each read above runs all its statements (page, count, next).
    const now = Date.now();
    const rows = Array.from({ length: 12 }, (_, i) => ({
      id: newId(),
      name: `web-${String(i).padStart(2, "0")}`,
      status: (["online", "offline", "revoked"] as const)[i % 3],
      lastSeenAt: i % 4 === 1 ? null : new Date(now),
      lastBackupAt: i % 5 === 0 ? null : new Date(now),
      lastBackupStatus: i % 6 === 0 ? "failed" : "succeeded",
      tags: ["prod"],
    }));
    await core.db.insert(hosts).values(rows);
  });

  it.each(reads)("%s walks an index, never the table or a sort", async (name, read) => {
    const plans = await plansOf(read, /\bhosts\b/);
    if (process.env.SHOW_PLANS)
      for (const p of plans) console.log(name, "|", p.sql.slice(0, 160), "\n   ", p.plan.join(" / "));
    expect(plans.length, "no statement on hosts was captured").toBeGreaterThan(0);
    for (const { sql, plan } of plans) {
      const context = `${sql}\n${plan.join("\n")}`;
      expect(
        plan.filter((line) => TABLE_SCAN.test(line)),
        context,
      ).toEqual([]);
      expect(
        plan.filter((line) => line.includes("TEMP B-TREE")),
        context,
      ).toEqual([]);
      // The covering-schedule lookup runs for the page's hosts only, by host id.
      if (/from "schedules"/i.test(sql)) expect(sql, context).toMatch(/"host_id" in \(/i);
    }
  });
});
