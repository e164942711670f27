/** hosts.list and hosts.options through the router: what zod lets in, and what it says otherwise. */
import type { AuthUser } from "@restic-manager/core";
import { hosts, newId } from "@restic-manager/db";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter, createCallerFactory } from "../src/index.js";
import { ctxFor, openTestCore } from "./helpers/context.js";

const viewer: AuthUser = { id: "v", username: "viewer", role: "viewer" };
const createCaller = createCallerFactory(appRouter);

let closeDb: () => void;
let caller: ReturnType<typeof createCaller>;

beforeAll(async () => {
  const opened = await openTestCore("rm-hostlist-api-");
  closeDb = opened.close;
  await opened.core.db
    .insert(hosts)
    .values(Array.from({ length: 3 }, (_, i) => ({ id: newId(), name: `api-${i}`, status: "online" as const })));
  caller = createCaller(ctxFor(opened.core, viewer));
});
afterAll(() => closeDb());

async function refusal(call: Promise<unknown>) {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  return error as TRPCError;
}

describe("hosts.list input", () => {
  it("needs no input: the first 50 by name", async () => {
    const page = await caller.hosts.list();
    expect(page.items.map((h) => h.name)).toEqual(["api-0", "api-1", "api-2"]);
    expect(page).toMatchObject({ total: 3, offset: 0, nextCursor: null, prevCursor: null });
  });

  it.each([
    [{ limit: 500 }, /At most 200 hosts a page/],
    [{ limit: 0 }, /at least 1 host/],
    [{ limit: 2.5 }, /whole number/],
    [{ status: "broken" }, /status filter is one of: attention, active, online, offline, pending, revoked/],
    [{ sort: "size" }, /order is one of: name, attention/],
    [{ offset: 100 }, /Unknown field: offset/],
    [{ search: "x".repeat(201) }, /at most 200 characters/],
    [{ cursor: "c".repeat(3000) }, /cursor/],
  ])("refuses %j with a sentence", async (input, message) => {
    const error = await refusal(caller.hosts.list(input as never));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(message);
  });

  it("refuses a cursor the console did not give out", async () => {
    const error = await refusal(caller.hosts.list({ cursor: "not-a-cursor" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/Go back to the first page/);
  });

  it("follows its own cursors", async () => {
    const first = await caller.hosts.list({ limit: 2 });
    const second = await caller.hosts.list({ limit: 2, cursor: first.nextCursor });
    expect(second.items.map((h) => h.name)).toEqual(["api-2"]);
  });
});

describe("hosts.options input", () => {
  it("searches and caps like the list", async () => {
    expect(await caller.hosts.options({ search: "API-1" })).toEqual({
      items: [{ id: expect.any(String), name: "api-1" }],
      hasMore: false,
    });
    expect((await refusal(caller.hosts.options({ limit: 201 }))).message).toMatch(/At most 200/);
  });
});
