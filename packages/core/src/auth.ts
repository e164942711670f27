import { apiTokens, type Database, newId, type Role, sessions, users } from "@restic-manager/db";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { type Actor, writeAudit } from "./audit.js";
import { bestEffort, DeferredWrites } from "./deferred-writes.js";
import { DomainError } from "./errors.js";
import {
  dummyPasswordHash,
  hashPassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  verifyPassword,
} from "./passwords.js";
import { RateLimiter } from "./rate-limit.js";
import { constantTimeEqual, generateToken, hashToken } from "./tokens.js";

export interface AuthUser {
  id: string;
  username: string;
  role: Role;
}

export interface AuthOptions {
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  /** Failed sign-ins allowed per IP and per username within `signInWindowMs`. */
  signInLimit: number;
  signInWindowMs: number;
  now?: () => number;
}

export const DEFAULT_AUTH_OPTIONS: AuthOptions = {
  sessionIdleMs: 12 * 60 * 60 * 1000,
  sessionAbsoluteMs: 7 * 24 * 60 * 60 * 1000,
  signInLimit: 12,
  signInWindowMs: 60 * 1000,
};

/** Only touch `last_seen_at` this often, so reads do not turn into writes. */
const SESSION_TOUCH_MS = 60 * 1000;
const API_TOKEN_TOUCH_MS = 60 * 1000;
export const SIGN_IN_FAILED = "Wrong username or password.";

export interface NewSession {
  token: string;
  expiresAt: Date;
  user: AuthUser;
}

export interface ClientInfo {
  ip: string | null;
  userAgent?: string | null | undefined;
}

export function validateNewPassword(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH) {
    throw new DomainError("BAD_REQUEST", `The password needs at least ${PASSWORD_MIN_LENGTH} characters.`);
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    throw new DomainError("BAD_REQUEST", `The password can have at most ${PASSWORD_MAX_LENGTH} characters.`);
  }
}

const userActor = (u: AuthUser, client: ClientInfo): Actor => ({
  kind: "user",
  id: u.id,
  name: u.username,
  ip: client.ip,
});

/**
 * Sign-in, first-run setup, sessions and API tokens. Sessions and API tokens are
 * random 256-bit values; only their SHA-256 is stored.
 */
export class AuthService {
  readonly #now: () => number;
  readonly #ipLimiter: RateLimiter;
  readonly #userLimiter: RateLimiter;
  readonly #setupLimiter: RateLimiter;
  /** One-time first-run token; held in memory only, regenerated at each start while no admin exists. */
  #setupToken: string | null = null;
  /**
   * Sign-ins keep working on a full disk: their session and audit rows wait here until they
   * can be stored, and a session that waits is served from `#unsavedSessions` meanwhile.
   */
  readonly deferred = new DeferredWrites();
  readonly #unsavedSessions = new Map<string, { user: AuthUser; expiresAt: Date; lastSeenAt: number }>();
  /** Signed out, but the row's deletion is still waiting for the disk: refused meanwhile. */
  readonly #signedOut = new Set<string>();

  constructor(
    private readonly db: Database,
    private readonly options: AuthOptions = DEFAULT_AUTH_OPTIONS,
  ) {
    this.#now = options.now ?? Date.now;
    this.#ipLimiter = new RateLimiter(options.signInLimit, options.signInWindowMs, this.#now);
    this.#userLimiter = new RateLimiter(options.signInLimit, options.signInWindowMs, this.#now);
    this.#setupLimiter = new RateLimiter(options.signInLimit, options.signInWindowMs, this.#now);
  }

  async adminExists(): Promise<boolean> {
    const [row] = await this.db.select({ id: users.id }).from(users).where(eq(users.role, "admin")).limit(1);
    return row !== undefined;
  }

  /** Mints the first-run token when no admin exists yet; returns null otherwise. */
  async prepareSetup(): Promise<string | null> {
    if (await this.adminExists()) {
      this.#setupToken = null;
      return null;
    }
    this.#setupToken = generateToken("setup", 24);
    return this.#setupToken;
  }

  async completeSetup(
    input: { token: string; username: string; password: string },
    client: ClientInfo,
  ): Promise<NewSession> {
    const ipKey = client.ip ?? "unknown";
    const wait = this.#setupLimiter.retryAfter(ipKey);
    if (wait > 0) {
      throw new DomainError("RATE_LIMITED", `Too many attempts. Try again in ${wait} s.`, { retryAfterSeconds: wait });
    }
    const expected = this.#setupToken;
    if (!expected || !constantTimeEqual(input.token.trim(), expected)) {
      this.#setupLimiter.hit(ipKey);
      if (!expected && (await this.adminExists())) {
        throw new DomainError("CONFLICT", "Setup is already complete. Sign in with the admin account.");
      }
      throw new DomainError(
        "UNAUTHORIZED",
        "That setup token is not valid. Copy the setup URL from the server log of the current start; it changes at every restart.",
      );
    }
    validateNewPassword(input.password);
    const username = normaliseUsername(input.username);
    const passwordHash = await hashPassword(input.password);
    const user = await this.db.transaction(async (tx) => {
      const [admin] = await tx.select({ id: users.id }).from(users).where(eq(users.role, "admin")).limit(1);
      if (admin) throw new DomainError("CONFLICT", "Setup is already complete. Sign in with the admin account.");
      const row: AuthUser = { id: newId(), username, role: "admin" };
      await tx.insert(users).values({ ...row, passwordHash, lastSignInAt: new Date(this.#now()) });
      await writeAudit(tx, userActor(row, client), {
        action: "auth.setup",
        target: { type: "user", id: row.id },
        summary: `created the first admin account "${username}"`,
      });
      return row;
    });
    this.#setupToken = null;
    return this.#createSession(user, client, "auth.sign_in", "signed in after first-run setup");
  }

  async signIn(input: { username: string; password: string }, client: ClientInfo): Promise<NewSession> {
    const ipKey = client.ip ?? "unknown";
    const userKey = input.username.trim().toLowerCase();
    const wait = Math.max(this.#ipLimiter.retryAfter(ipKey), this.#userLimiter.retryAfter(userKey));
    if (wait > 0) {
      throw new DomainError("RATE_LIMITED", `Too many failed sign-ins. Try again in ${wait} s.`, {
        retryAfterSeconds: wait,
      });
    }
    const [row] = await this.db.select().from(users).where(sql`lower(${users.username}) = ${userKey}`).limit(1);
    // Verify against a dummy hash for unknown users so timing does not reveal which names exist.
    const ok = await verifyPassword(row?.passwordHash ?? (await dummyPasswordHash()), input.password);
    if (!row || !ok || row.disabledAt) {
      this.#ipLimiter.hit(ipKey);
      this.#userLimiter.hit(userKey);
      const at = new Date(this.#now());
      await this.deferred.run("audit auth.sign_in_failed", () =>
        writeAudit(
          this.db,
          { kind: "system", id: "system", name: "system", ip: client.ip },
          {
            action: "auth.sign_in_failed",
            target: row ? { type: "user", id: row.id } : undefined,
            summary: `failed sign-in for username "${truncate(input.username, 64)}"`,
          },
          at,
        ),
      );
      throw new DomainError("UNAUTHORIZED", SIGN_IN_FAILED);
    }
    this.#userLimiter.reset(userKey);
    const user: AuthUser = { id: row.id, username: row.username, role: row.role };
    await bestEffort(
      this.db
        .update(users)
        .set({ lastSignInAt: new Date(this.#now()) })
        .where(eq(users.id, user.id)),
    );
    return this.#createSession(user, client, "auth.sign_in", "signed in");
  }

  async #createSession(user: AuthUser, client: ClientInfo, action: string, summary: string): Promise<NewSession> {
    const token = generateToken("rms");
    const tokenHash = hashToken(token);
    const now = this.#now();
    const expiresAt = new Date(now + this.options.sessionAbsoluteMs);
    const row = {
      tokenHash,
      userId: user.id,
      createdAt: new Date(now),
      lastSeenAt: new Date(now),
      expiresAt,
      ip: client.ip,
      userAgent: client.userAgent ? truncate(client.userAgent, 256) : null,
    };
    // Held in memory until its row is stored; a sign-out meanwhile drops it, and then the
    // waiting write stores nothing (a signed-out session must never come back).
    this.#unsavedSessions.set(tokenHash, { user, expiresAt, lastSeenAt: now });
    await this.deferred.run("session", async () => {
      if (!this.#unsavedSessions.has(tokenHash)) return;
      await this.db.insert(sessions).values(row);
      this.#unsavedSessions.delete(tokenHash);
    });
    const actor = userActor(user, client);
    const at = new Date(now);
    await this.deferred.run(`audit ${action}`, () =>
      writeAudit(this.db, actor, { action, target: { type: "user", id: user.id }, summary }, at),
    );
    return { token, expiresAt, user };
  }

  /** A session whose row is still waiting to be stored (full disk), checked like a stored one. */
  async #unsavedSession(tokenHash: string): Promise<AuthUser | null> {
    const waiting = this.#unsavedSessions.get(tokenHash);
    if (!waiting) return null;
    const now = this.#now();
    const [user] = await this.db
      .select({ id: users.id, username: users.username, role: users.role, disabledAt: users.disabledAt })
      .from(users)
      .where(eq(users.id, waiting.user.id));
    const idle = now - waiting.lastSeenAt > this.options.sessionIdleMs;
    if (!user || user.disabledAt || idle || waiting.expiresAt.getTime() <= now) return null;
    waiting.lastSeenAt = now;
    return { id: user.id, username: user.username, role: user.role };
  }

  /** Resolves a session cookie to its user, or null when unknown, expired or disabled. */
  async authenticateSession(token: string): Promise<AuthUser | null> {
    const tokenHash = hashToken(token);
    if (this.#signedOut.has(tokenHash)) return null;
    const [row] = await this.db
      .select({
        lastSeenAt: sessions.lastSeenAt,
        expiresAt: sessions.expiresAt,
        id: users.id,
        username: users.username,
        role: users.role,
        disabledAt: users.disabledAt,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.tokenHash, tokenHash))
      .limit(1);
    if (!row) return this.#unsavedSession(tokenHash);
    const now = this.#now();
    const idle = now - row.lastSeenAt.getTime() > this.options.sessionIdleMs;
    if (idle || row.expiresAt.getTime() <= now || row.disabledAt) {
      // Refused either way; the row goes with the next request if it cannot go now.
      await bestEffort(this.db.delete(sessions).where(eq(sessions.tokenHash, tokenHash)));
      return null;
    }
    if (now - row.lastSeenAt.getTime() > SESSION_TOUCH_MS) {
      await bestEffort(
        this.db
          .update(sessions)
          .set({ lastSeenAt: new Date(now) })
          .where(eq(sessions.tokenHash, tokenHash)),
      );
    }
    return { id: row.id, username: row.username, role: row.role };
  }

  /**
   * Ends the session at once, also on a full disk: the token is refused from now on, and its row's
   * deletion (with the audit row) waits until it can be written.
   */
  async signOut(token: string, user: AuthUser, client: ClientInfo): Promise<void> {
    const tokenHash = hashToken(token);
    this.#unsavedSessions.delete(tokenHash);
    this.#signedOut.add(tokenHash);
    await this.deferred.run("session delete", async () => {
      await this.db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
      this.#signedOut.delete(tokenHash);
    });
    const actor = userActor(user, client);
    const at = new Date(this.#now());
    await this.deferred.run("audit auth.sign_out", () =>
      writeAudit(
        this.db,
        actor,
        { action: "auth.sign_out", target: { type: "user", id: user.id }, summary: "signed out" },
        at,
      ),
    );
  }

  async createApiToken(
    user: AuthUser,
    input: { name: string; expiresInDays?: number | undefined },
    actor: Actor,
  ): Promise<{ id: string; token: string }> {
    const token = generateToken("rmt");
    const id = newId();
    const now = this.#now();
    await this.db.transaction(async (tx) => {
      await tx.insert(apiTokens).values({
        id,
        userId: user.id,
        name: input.name,
        tokenHash: hashToken(token),
        prefix: token.slice(0, 10),
        createdAt: new Date(now),
        expiresAt: input.expiresInDays ? new Date(now + input.expiresInDays * 86_400_000) : null,
      });
      await writeAudit(tx, actor, {
        action: "api_token.create",
        target: { type: "api_token", id },
        summary: `created API token "${input.name}"`,
      });
    });
    return { id, token };
  }

  async listApiTokens(userId: string) {
    return this.db
      .select({
        id: apiTokens.id,
        name: apiTokens.name,
        prefix: apiTokens.prefix,
        createdAt: apiTokens.createdAt,
        lastUsedAt: apiTokens.lastUsedAt,
        expiresAt: apiTokens.expiresAt,
      })
      .from(apiTokens)
      .where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
      .orderBy(desc(apiTokens.createdAt));
  }

  async revokeApiToken(userId: string, id: string, actor: Actor): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [row] = await tx
        .select({ name: apiTokens.name })
        .from(apiTokens)
        .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)));
      if (!row) throw new DomainError("NOT_FOUND", "No such API token. It may already be revoked.");
      await tx
        .update(apiTokens)
        .set({ revokedAt: new Date(this.#now()) })
        .where(eq(apiTokens.id, id));
      await writeAudit(tx, actor, {
        action: "api_token.revoke",
        target: { type: "api_token", id },
        summary: `revoked API token "${row.name}"`,
      });
    });
  }

  /** Resolves a bearer to the token's owner, or null. */
  async authenticateApiToken(token: string): Promise<{ user: AuthUser; tokenId: string } | null> {
    const [row] = await this.db
      .select({
        tokenId: apiTokens.id,
        expiresAt: apiTokens.expiresAt,
        revokedAt: apiTokens.revokedAt,
        lastUsedAt: apiTokens.lastUsedAt,
        id: users.id,
        username: users.username,
        role: users.role,
        disabledAt: users.disabledAt,
      })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(eq(apiTokens.tokenHash, hashToken(token)))
      .limit(1);
    const now = this.#now();
    if (!row || row.revokedAt || row.disabledAt || (row.expiresAt && row.expiresAt.getTime() <= now)) return null;
    if (!row.lastUsedAt || now - row.lastUsedAt.getTime() > API_TOKEN_TOUCH_MS) {
      // Bookkeeping: a read with a token must work on a full disk.
      await bestEffort(
        this.db
          .update(apiTokens)
          .set({ lastUsedAt: new Date(now) })
          .where(eq(apiTokens.id, row.tokenId)),
      );
    }
    return { user: { id: row.id, username: row.username, role: row.role }, tokenId: row.tokenId };
  }
}

export function normaliseUsername(raw: string): string {
  const username = raw.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$/.test(username)) {
    throw new DomainError(
      "BAD_REQUEST",
      "Usernames are 2-64 characters: letters, digits, dot, underscore, @ or hyphen, starting with a letter or digit.",
    );
  }
  return username;
}

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…` : s);
