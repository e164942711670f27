import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { auditLog, migrateDatabase, openDatabase } from "@restic-manager/db";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuthService, DEFAULT_AUTH_OPTIONS, DomainError, hashToken, RateLimiter } from "../src/index.js";

const MIGRATIONS = resolve(import.meta.dirname, "../../../drizzle");
const PASSWORD = "a long enough passphrase";
const client = { ip: "192.0.2.10", userAgent: "vitest" };

let dir: string;
let close: () => void;
let now: number;
let auth: AuthService;
let db: Awaited<ReturnType<typeof openDatabase>>["db"];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "rm-auth-"));
  const handle = await openDatabase({ url: `file:${join(dir, "rm.db")}` });
  await migrateDatabase(handle.db, MIGRATIONS);
  db = handle.db;
  close = handle.close;
  now = Date.UTC(2026, 0, 1);
  auth = new AuthService(db, {
    ...DEFAULT_AUTH_OPTIONS,
    sessionIdleMs: 3_600_000,
    sessionAbsoluteMs: 86_400_000,
    now: () => now,
  });
});
afterEach(() => {
  close();
  rmSync(dir, { recursive: true, force: true });
});

async function setup() {
  const token = await auth.prepareSetup();
  expect(token).toMatch(/^setup_/);
  return auth.completeSetup({ token: token ?? "", username: "admin", password: PASSWORD }, client);
}

describe("first-run setup", () => {
  it("works once; afterwards no setup token is minted", async () => {
    const session = await setup();
    expect(session.user.role).toBe("admin");
    expect(await auth.prepareSetup()).toBeNull();
    await expect(auth.completeSetup({ token: "setup_x", username: "b", password: PASSWORD }, client)).rejects.toThrow(
      /already complete/,
    );
  });

  it("rejects a short password with the rule in the message", async () => {
    const token = (await auth.prepareSetup()) ?? "";
    await expect(auth.completeSetup({ token, username: "admin", password: "short" }, client)).rejects.toThrow(
      /at least 12 characters/,
    );
  });

  it("rejects a bad username with the rule in the message", async () => {
    const token = (await auth.prepareSetup()) ?? "";
    await expect(auth.completeSetup({ token, username: "-x y", password: PASSWORD }, client)).rejects.toThrow(
      /Usernames are/,
    );
  });
});

describe("sessions", () => {
  it("stores only the hash of the session token", async () => {
    const session = await setup();
    const rows = await db.query.sessions.findMany();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.tokenHash).toBe(hashToken(session.token));
    expect(JSON.stringify(rows)).not.toContain(session.token);
    expect(session.token.length).toBeGreaterThanOrEqual(32);
  });

  it("expires after the idle limit", async () => {
    const session = await setup();
    now += 30 * 60_000;
    expect(await auth.authenticateSession(session.token)).not.toBeNull();
    now += 61 * 60_000;
    expect(await auth.authenticateSession(session.token)).toBeNull();
  });

  it("expires at the absolute limit even when active", async () => {
    const session = await setup();
    for (let i = 0; i < 30; i++) {
      now += 50 * 60_000;
      await auth.authenticateSession(session.token);
    }
    expect(await auth.authenticateSession(session.token)).toBeNull();
  });
});

describe("sign-in", () => {
  it("audits success and failure without the password", async () => {
    await setup();
    await auth.signIn({ username: "ADMIN", password: PASSWORD }, client);
    await expect(auth.signIn({ username: "admin", password: "wrong-password-canary" }, client)).rejects.toThrow(
      DomainError,
    );
    const rows = await db.select().from(auditLog);
    expect(rows.map((r) => r.action)).toEqual(["auth.setup", "auth.sign_in", "auth.sign_in", "auth.sign_in_failed"]);
    expect(JSON.stringify(rows)).not.toContain("wrong-password-canary");
    expect(JSON.stringify(rows)).not.toContain(PASSWORD);
  });

  it("limits per user across IPs", async () => {
    await setup();
    for (let i = 0; i < 12; i++) {
      await expect(auth.signIn({ username: "admin", password: "nope" }, { ip: `198.51.100.${i}` })).rejects.toThrow(
        /Wrong username or password/,
      );
    }
    await expect(auth.signIn({ username: "admin", password: PASSWORD }, { ip: "203.0.113.5" })).rejects.toMatchObject({
      code: "RATE_LIMITED",
    });
    now += 61_000;
    await expect(auth.signIn({ username: "admin", password: PASSWORD }, { ip: "203.0.113.5" })).resolves.toBeTruthy();
  });
});

describe("RateLimiter", () => {
  it("counts within the window and tells how long to wait", () => {
    let t = 0;
    const rl = new RateLimiter(2, 10_000, () => t);
    rl.hit("k");
    rl.hit("k");
    expect(rl.retryAfter("k")).toBe(10);
    t = 4_000;
    expect(rl.retryAfter("k")).toBe(6);
    t = 10_000;
    expect(rl.retryAfter("k")).toBe(0);
  });
});
