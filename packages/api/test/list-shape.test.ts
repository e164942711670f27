/** Every list answers `{ items, nextCursor }`; the hot shared reads are validated once, not copied. */
import type { AuthUser } from "@restic-manager/core";
import { hosts, jobLogs, jobs, newId } from "@restic-manager/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter, createCallerFactory } from "../src/index.js";
import { ctxFor, openTestCore } from "./helpers/context.js";

const viewer: AuthUser = { id: "v", username: "viewer", role: "viewer" };
const createCaller = createCallerFactory(appRouter);

let closeDb: () => void;
let caller: ReturnType<typeof createCaller>;
const hostId = newId();
const jobIds: string[] = [];

beforeAll(async () => {
  const opened = await openTestCore("rm-list-shape-");
  closeDb = opened.close;
  const { db } = opened.core;
  await db.insert(hosts).values({ id: hostId, name: "shape-1", status: "online" });
  // Newest first is id order; ids made within one millisecond are not ordered by creation, so
  // the expected order is the ids' own.
  jobIds.push(...[newId(), newId(), newId()].sort().reverse());
  for (const id of jobIds) {
    await db.insert(jobs).values({ id, hostId, kind: "backup", status: "succeeded", actor: "system" });
  }
  const at = new Date();
  await db.insert(jobLogs).values(
    Array.from({ length: 5 }, (_, seq) => ({
      jobId: jobIds[0] ?? "",
      seq,
      at,
      stream: "stdout" as const,
      line: `l${seq}`,
    })),
  );
  caller = createCaller(ctxFor(opened.core, viewer));
});
afterAll(() => closeDb());

describe("list procedures", () => {
  it("jobs.list pages newest first by cursor", async () => {
    const first = await caller.jobs.list({ hostId, limit: 2 });
    expect(first.items.map((j) => j.id)).toEqual(jobIds.slice(0, 2));
    const second = await caller.jobs.list({ hostId, limit: 2, cursor: first.nextCursor });
    expect(second).toMatchObject({ items: [{ id: jobIds[2] }], nextCursor: null });
  });

  it("jobs.logs pages by seq", async () => {
    const jobId = jobIds[0] ?? "";
    const first = await caller.jobs.logs({ jobId, limit: 3 });
    expect(first.items.map((l) => l.line)).toEqual(["l0", "l1", "l2"]);
    const rest = await caller.jobs.logs({ jobId, limit: 3, cursor: first.nextCursor });
    expect(rest).toMatchObject({ items: [{ seq: 3 }, { seq: 4 }], nextCursor: null });
  });

  it("unpaged lists say so, with their total", async () => {
    expect(await caller.sources.list({ hostId })).toEqual({ items: [], nextCursor: null, total: 0 });
    expect(await caller.schedules.list({ hostId })).toEqual({ items: [], nextCursor: null, total: 0 });
  });

  it("a shared read is validated once and served as the same object (its encoding stays shared)", async () => {
    const a = await caller.hosts.list({ limit: 7 });
    const b = await caller.hosts.list({ limit: 7 });
    expect(b).toBe(a);
    expect(a.items[0]).toMatchObject({ name: "shape-1", attention: "never_connected" });
  });
});
