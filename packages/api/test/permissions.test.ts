import type { AuthUser, Core } from "@restic-manager/core";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter, createCallerFactory, PERMISSIONS, type RequestContext } from "../src/index.js";
import { ctxFor as contextFor, openTestCore } from "./helpers/context.js";

const createCaller = createCallerFactory(appRouter);

let core: Core;
let closeDb: () => void;

beforeAll(async () => {
  ({ core, close: closeDb } = await openTestCore("rm-perm-"));
});
afterAll(() => closeDb());

const ctxFor = (user: AuthUser | null): RequestContext => contextFor(core, user);

const procedures = Object.entries(appRouter._def.procedures) as unknown as [
  string,
  { _def: { meta?: { tier?: string }; type: string } },
][];

async function call(path: string, user: AuthUser | null): Promise<unknown> {
  const caller = createCaller(ctxFor(user)) as unknown as Record<string, Record<string, (i?: unknown) => unknown>>;
  const [ns, name] = path.split(".") as [string, string];
  const fn = caller[ns]?.[name];
  if (!fn) throw new Error(`no procedure ${path}`);
  return fn(undefined);
}

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return "OK";
  } catch (e) {
    return e instanceof TRPCError ? e.code : String(e);
  }
};

const USERS: Record<string, AuthUser> = {
  viewer: { id: "v", username: "viewer", role: "viewer" },
  operator: { id: "o", username: "operator", role: "operator" },
  admin: { id: "a", username: "admin", role: "admin" },
};

describe("permission matrix", () => {
  it("lists every procedure, and each is built from the tier the matrix says", () => {
    const missing = procedures.filter(([path]) => !(path in PERMISSIONS)).map(([p]) => p);
    expect(missing, "procedures missing from packages/api/src/permissions.ts").toEqual([]);
    const stale = Object.keys(PERMISSIONS).filter((p) => !procedures.some(([path]) => path === p));
    expect(stale, "entries in permissions.ts with no procedure").toEqual([]);
    for (const [path, proc] of procedures) expect(proc._def.meta?.tier, path).toBe(PERMISSIONS[path]);
  });

  it.each(procedures.filter(([p]) => PERMISSIONS[p] !== "public").map(([p]) => p))(
    "%s refuses an anonymous caller",
    async (path) => {
      expect(await codeOf(call(path, null))).toBe("UNAUTHORIZED");
    },
  );

  it.each(procedures.filter(([p]) => PERMISSIONS[p] === "admin").map(([p]) => p))(
    "%s refuses viewer and operator with FORBIDDEN",
    async (path) => {
      expect(await codeOf(call(path, USERS.viewer ?? null))).toBe("FORBIDDEN");
      expect(await codeOf(call(path, USERS.operator ?? null))).toBe("FORBIDDEN");
      expect(await codeOf(call(path, USERS.admin ?? null))).not.toMatch(/UNAUTHORIZED|FORBIDDEN/);
    },
  );

  it.each(procedures.filter(([p]) => PERMISSIONS[p] === "operator").map(([p]) => p))(
    "%s refuses a viewer with FORBIDDEN",
    async (path) => {
      expect(await codeOf(call(path, USERS.viewer ?? null))).toBe("FORBIDDEN");
    },
  );

  it("refuses every cookie-authenticated mutation that failed the CSRF check", async () => {
    const caller = createCaller({ ...ctxFor(USERS.admin ?? null), csrf: { ok: false, reason: "test" } });
    await expect(caller.apiTokens.create({ name: "x" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.apiTokens.list()).resolves.toEqual({ items: [], nextCursor: null, total: 0 });
  });
});
