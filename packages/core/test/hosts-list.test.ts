/**
 * The host list a page at a time: orders, filters, search, cursors both ways, the limit cap and
 * the covering schedule, against a real SQLite file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Database, hosts, migrateDatabase, newId, openDatabase } from "@restic-manager/db";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Core, createCore, DomainError, type HostListQuery, SecretBox } from "../src/index.js";

const MIGRATIONS = resolve(import.meta.dirname, "../../../drizzle");
const operator = { kind: "user" as const, id: "u1", name: "op" };

let dir: string;
let close: () => void;
let db: Database;
let core: Core;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "rm-hostlist-"));
  const handle = await openDatabase({ url: `file:${join(dir, "rm.db")}` });
  await migrateDatabase(handle.db, MIGRATIONS);
  close = handle.close;
  db = handle.db;
  core = createCore({ db, secrets: new SecretBox(Buffer.alloc(32, 5)) });
});
afterEach(() => {
  close();
  rmSync(dir, { recursive: true, force: true });
});

type HostRow = typeof hosts.$inferInsert;
const seen = new Date("2026-03-01T00:00:00Z");

/** A healthy host unless `overrides` says otherwise. */
function host(name: string, overrides: Partial<HostRow> = {}): HostRow {
  return {
    id: newId(),
    name,
    status: "online",
    lastSeenAt: seen,
    lastBackupAt: seen,
    lastBackupStatus: "succeeded",
    ...overrides,
  };
}

async function insert(rows: HostRow[]) {
  for (let i = 0; i < rows.length; i += 100) await db.insert(hosts).values(rows.slice(i, i + 100));
  return rows;
}

/** Follows nextCursor to the end; every page as it came. */
async function walkForward(query: HostListQuery) {
  const pages = [];
  let cursor: string | null = null;
  do {
    const page = await core.hosts.list({ ...query, cursor });
    pages.push(page);
    cursor = page.nextCursor;
    if (pages.length > 100) throw new Error("the cursor never ends");
  } while (cursor);
  return pages;
}

const names = (page: { items: { name: string }[] }) => page.items.map((h) => h.name);

describe("hosts.list paging", () => {
  it("gives a first page of 50 by name with the total, and says when there is no more", async () => {
    await insert(Array.from({ length: 60 }, (_, i) => host(`web-${String(59 - i).padStart(2, "0")}`)));
    const first = await core.hosts.list();
    expect(first.items).toHaveLength(50);
    expect(first.total).toBe(60);
    expect(first.offset).toBe(0);
    expect(names(first).slice(0, 3)).toEqual(["web-00", "web-01", "web-02"]);
    expect(first.prevCursor).toBeNull();
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await core.hosts.list({ cursor: first.nextCursor });
    expect(names(second)).toEqual(Array.from({ length: 10 }, (_, i) => `web-${50 + i}`));
    expect(second).toMatchObject({ total: 60, offset: 50, nextCursor: null, prevCursor: expect.any(String) });
  });

  it("walks every host exactly once forward and back, equal names ordered by id", async () => {
    const rows = await insert([
      ...Array.from({ length: 45 }, (_, i) => host(`db-${String(i).padStart(3, "0")}`)),
      // Hosts may share a name (enrolment does not forbid it); the id breaks the tie.
      ...Array.from({ length: 7 }, () => host("db-020")),
      ...Array.from({ length: 5 }, () => host("zz", { status: "revoked" })),
    ]);
    const expected = [...rows]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1))
      .map((h) => h.id);

    const pages = await walkForward({ limit: 8 });
    expect(pages.flatMap((p) => p.items.map((h) => h.id))).toEqual(expected);
    expect(pages.map((p) => p.offset)).toEqual(pages.map((_, i) => i * 8));
    expect(pages.every((p) => p.total === rows.length)).toBe(true);

    // Back from the last page: the same pages in reverse, ending on a full first page.
    let page = pages.at(-1);
    for (let i = pages.length - 2; i >= 0; i--) {
      page = await core.hosts.list({ limit: 8, cursor: page?.prevCursor ?? null });
      expect(page.items.map((h) => h.id)).toEqual(pages[i]?.items.map((h) => h.id));
      expect(page.offset).toBe(i * 8);
    }
    expect(page?.prevCursor).toBeNull();
  });

  it("shows a full first page when walking back reaches the start early", async () => {
    await insert(Array.from({ length: 12 }, (_, i) => host(`h-${String(i).padStart(2, "0")}`)));
    const first = await core.hosts.list({ limit: 5 });
    const second = await core.hosts.list({ limit: 5, cursor: first.nextCursor });
    // Three hosts before the second page vanish: going back finds two, and shows the first five.
    const gone = first.items.slice(0, 3).map((h) => h.id);
    for (const id of gone) await core.hosts.remove(id, first.items.find((h) => h.id === id)?.name ?? "", operator);
    const back = await core.hosts.list({ limit: 5, cursor: second.prevCursor });
    expect(names(back)).toEqual(["h-03", "h-04", "h-05", "h-06", "h-07"]);
    expect(back).toMatchObject({ offset: 0, prevCursor: null, total: 9 });
  });

  it("orders problems first for the dashboard: failed, offline, never connected, never backed up", async () => {
    await insert([
      host("a-healthy"),
      host("b-failed", { lastBackupStatus: "failed" }),
      host("c-offline", { status: "offline" }),
      host("d-pending", { status: "offline", lastSeenAt: null, lastBackupAt: null, lastBackupStatus: null }),
      host("e-never-backed-up", { lastBackupAt: null, lastBackupStatus: null }),
      host("f-interrupted-offline", { status: "offline", lastBackupStatus: "interrupted" }),
      host("g-revoked", { status: "revoked" }),
      host("h-healthy"),
    ]);
    const page = await core.hosts.list({ sort: "attention" });
    expect(page.items.map((h) => [h.name, h.attention])).toEqual([
      ["b-failed", "backup_failed"],
      ["f-interrupted-offline", "backup_failed"],
      ["c-offline", "offline"],
      ["d-pending", "never_connected"],
      ["e-never-backed-up", "never_backed_up"],
      ["a-healthy", "healthy"],
      ["h-healthy", "healthy"],
      ["g-revoked", "revoked"],
    ]);
    const dashboard = await core.hosts.list({ sort: "attention", status: "active" });
    expect(names(dashboard)).not.toContain("g-revoked");
    expect(dashboard.total).toBe(7);
    const attention = await core.hosts.list({ status: "attention" });
    expect(names(attention)).toEqual([
      "b-failed",
      "c-offline",
      "d-pending",
      "e-never-backed-up",
      "f-interrupted-offline",
    ]);
  });

  it("pages the attention order with cursors, without duplicates or gaps", async () => {
    const rows = await insert(
      Array.from({ length: 40 }, (_, i) =>
        host(`n-${String(i % 13).padStart(2, "0")}`, {
          status: i % 5 === 0 ? "offline" : "online",
          lastBackupStatus: i % 7 === 0 ? "failed" : "succeeded",
          lastBackupAt: i % 3 === 0 ? null : seen,
        }),
      ),
    );
    const all = (await core.hosts.list({ sort: "attention", limit: 200 })).items.map((h) => h.id);
    expect(new Set(all).size).toBe(rows.length);
    const pages = await walkForward({ sort: "attention", limit: 6 });
    expect(pages.flatMap((p) => p.items.map((h) => h.id))).toEqual(all);
    const back = await core.hosts.list({ sort: "attention", limit: 6, cursor: pages[3]?.prevCursor });
    expect(back.items.map((h) => h.id)).toEqual(pages[2]?.items.map((h) => h.id));
  });

  it("filters by what the SPA shows as the status", async () => {
    await insert([
      host("online-1"),
      host("offline-1", { status: "offline" }),
      host("pending-1", { status: "offline", lastSeenAt: null, lastBackupAt: null, lastBackupStatus: null }),
      host("pending-2", { status: "pending", lastSeenAt: null, lastBackupAt: null, lastBackupStatus: null }),
      host("revoked-1", { status: "revoked", lastSeenAt: null }),
    ]);
    const only = async (status: HostListQuery["status"]) => names(await core.hosts.list({ status }));
    expect(await only("online")).toEqual(["online-1"]);
    expect(await only("offline")).toEqual(["offline-1"]);
    expect(await only("pending")).toEqual(["pending-1", "pending-2"]);
    expect(await only("revoked")).toEqual(["revoked-1"]);
    expect(await only("active")).toEqual(["offline-1", "online-1", "pending-1", "pending-2"]);
    expect((await core.hosts.list({ status: "pending" })).total).toBe(2);
  });

  it("searches names, reported hostnames and tags, case-insensitively, wildcards taken literally", async () => {
    await insert([
      host("Web-01", { reportedHostname: "web-01.example.com", tags: ["prod"] }),
      host("db-01", { reportedHostname: "pg-primary.internal", tags: ["prod", "database"] }),
      host("files_1", { tags: ["nas"] }),
      host("files-2", { tags: ["lab"] }),
      host("100%-host"),
    ]);
    const find = async (search: string) => names(await core.hosts.list({ search }));
    expect(await find("WEB")).toEqual(["Web-01"]);
    expect(await find("PG-PRIM")).toEqual(["db-01"]);
    expect(await find("prod")).toEqual(["Web-01", "db-01"]);
    expect(await find("files_")).toEqual(["files_1"]);
    expect(await find("%")).toEqual(["100%-host"]);
    expect(await find("  database  ")).toEqual(["db-01"]);
    // Tags are stored as JSON text: punctuation must not match across or around them.
    expect(await find('prod","database')).toEqual([]);
    expect(await find('"')).toEqual([]);
    expect(await find("nothing-like-this")).toEqual([]);
    const page = await core.hosts.list({ search: "files", limit: 1 });
    expect(page).toMatchObject({ total: 2, offset: 0 });
    expect(names(await core.hosts.list({ search: "files", limit: 1, cursor: page.nextCursor }))).toEqual(["files_1"]);
    expect(names(await core.hosts.list({ search: "prod", status: "online", sort: "attention" }))).toEqual([
      "Web-01",
      "db-01",
    ]);
  });

  it("caps the page at 200 hosts", async () => {
    await insert(Array.from({ length: 230 }, (_, i) => host(`cap-${String(i).padStart(3, "0")}`)));
    const page = await core.hosts.list({ limit: 10_000 });
    expect(page.items).toHaveLength(200);
    expect(page.total).toBe(230);
    expect((await core.hosts.list({ limit: 0 })).items).toHaveLength(1);
  });

  it("refuses a cursor it did not give out, or one of the other order, saying what to do", async () => {
    await insert([host("a"), host("b"), host("c")]);
    const byName = await core.hosts.list({ limit: 1 });
    const bad = ["garbage", Buffer.from('["name","a"]').toString("base64url"), Buffer.from("{").toString("base64url")];
    for (const cursor of [...bad, byName.nextCursor]) {
      const sort = cursor === byName.nextCursor ? "attention" : "name";
      const error = await core.hosts.list({ sort, cursor }).catch((e: unknown) => e);
      expect(error, String(cursor)).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/first page/) });
    }
  });

  it("names the covering schedule of the listed hosts", async () => {
    const [first, second] = await insert([host("alpha"), host("beta")]);
    const group = await core.sources.create(
      second?.id ?? "",
      { name: "etc", includePaths: ["/etc"], excludePatterns: [] },
      operator,
    );
    const schedule = await core.schedules.create(
      second?.id ?? "",
      { cron: "0 2 * * *", enabled: true, sourceGroupIds: [group.id] },
      operator,
    );
    const page1 = await core.hosts.list({ limit: 1 });
    expect(page1.items).toMatchObject([{ id: first?.id, coveringScheduleId: null }]);
    const page2 = await core.hosts.list({ limit: 1, cursor: page1.nextCursor });
    expect(page2.items).toMatchObject([{ id: second?.id, coveringScheduleId: schedule.id }]);
  });

  it("an empty console lists nothing", async () => {
    expect(await core.hosts.list()).toEqual({ items: [], total: 0, offset: 0, nextCursor: null, prevCursor: null });
  });
});

describe("hosts.options", () => {
  it("gives id and name by name, searched, and says when there are more", async () => {
    await insert(Array.from({ length: 60 }, (_, i) => host(`opt-${String(i).padStart(2, "0")}`)));
    const all = await core.hosts.options();
    expect(all.items).toHaveLength(50);
    expect(all.hasMore).toBe(true);
    expect(Object.keys(all.items[0] ?? {}).sort()).toEqual(["id", "name"]);
    const some = await core.hosts.options({ search: "OPT-5" });
    expect(some.items.map((h) => h.name)).toEqual(Array.from({ length: 10 }, (_, i) => `opt-5${i}`));
    expect(some.hasMore).toBe(false);
  });
});
