/** A migrated SQLite file with a Core on it, and request contexts for calling the router directly. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type AuthUser, type Core, createCore, SecretBox } from "@restic-manager/core";
import { migrateDatabase, openDatabase } from "@restic-manager/db";
import type { RequestContext } from "../../src/index.js";

const MIGRATIONS = resolve(import.meta.dirname, "../../../../drizzle");

export async function openTestCore(prefix: string): Promise<{ core: Core; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const handle = await openDatabase({ url: `file:${join(dir, "rm.db")}` });
  await migrateDatabase(handle.db, MIGRATIONS);
  const core = createCore({ db: handle.db, secrets: new SecretBox(Buffer.alloc(32, 1)) });
  return {
    core,
    close: () => {
      handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What the HTTP layer would build for `user` (null: nobody signed in), CSRF passed. */
export function ctxFor(core: Core, user: AuthUser | null): RequestContext {
  return {
    core,
    user,
    auth: user ? { kind: "session", token: "test" } : null,
    ip: "127.0.0.1",
    publicUrl: "http://127.0.0.1:8080",
    userAgent: "vitest",
    csrf: { ok: true },
    setCookie: () => {},
    clearCookie: () => {},
    setHeader: () => {},
  };
}
