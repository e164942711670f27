/**
 * tRPC setup: the request context and the four procedure tiers. Every procedure in the
 * router is built from exactly one tier; `permissions.ts` lists them and a test fails when
 * a procedure is missing there or sits in another tier.
 */
import type { AuthUser, Core } from "@restic-manager/core";
import { initTRPC, TRPCError } from "@trpc/server";
import { publicServerMessage, toTRPCError } from "./errors.js";
import { transformer } from "./transformer.js";

export type Tier = "public" | "authed" | "operator" | "admin";

export interface CookieOptions {
  maxAgeSeconds?: number;
}

export interface RequestContext {
  core: Core;
  /** The caller, resolved from the session cookie or an API token. */
  user: AuthUser | null;
  auth: { kind: "session"; token: string } | { kind: "api_token"; tokenId: string } | null;
  ip: string | null;
  /** The console's public URL, for links and install commands. */
  publicUrl: string;
  userAgent: string | null;
  /**
   * Whether this request passed the CSRF checks (custom header + matching Origin).
   * Bearer-authenticated requests carry no cookies and are exempt.
   */
  csrf: { ok: true } | { ok: false; reason: string };
  setCookie(name: string, value: string, options?: CookieOptions): void;
  clearCookie(name: string): void;
  setHeader(name: string, value: string): void;
}

export interface Meta {
  tier: Tier;
}

const t = initTRPC
  .context<RequestContext>()
  .meta<Meta>()
  .create({
    // superjson: Dates, Maps and undefined survive the wire; the SPA's links use it too.
    transformer,
    errorFormatter({ shape, error }) {
      // Never ship stack traces or internals to the browser: a 5xx answers in words and an
      // error id (the log has the details), never the error's own text, which for a failed
      // query is its SQL and parameters.
      const { stack: _stack, ...data } = shape.data;
      if (data.httpStatus >= 500) return { ...shape, message: publicServerMessage(error), data };
      return { ...shape, data };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Maps service errors once, and enforces CSRF on every mutation. */
const base = t.procedure.use(async ({ ctx, type, next }) => {
  if (type === "mutation" && ctx.auth?.kind !== "api_token" && !ctx.csrf.ok) {
    throw new TRPCError({ code: "FORBIDDEN", message: `Request refused: ${ctx.csrf.reason}` });
  }
  const result = await next();
  if (!result.ok) {
    const mapped = toTRPCError(result.error.cause ?? result.error);
    if (mapped) {
      if (mapped.retryAfterSeconds) ctx.setHeader("Retry-After", String(mapped.retryAfterSeconds));
      throw mapped.error;
    }
  }
  return result;
});

const ROLE_RANK = { viewer: 0, operator: 1, admin: 2 } as const;

function requireRole(minimum: keyof typeof ROLE_RANK) {
  return t.middleware(({ ctx, next }) => {
    if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
    if (ROLE_RANK[ctx.user.role] < ROLE_RANK[minimum]) {
      throw new TRPCError({ code: "FORBIDDEN", message: `This needs the ${minimum} role.` });
    }
    return next({ ctx: { ...ctx, user: ctx.user } });
  });
}

export const publicProcedure = base.meta({ tier: "public" });
export const authedProcedure = base.meta({ tier: "authed" }).use(requireRole("viewer"));
export const operatorProcedure = base.meta({ tier: "operator" }).use(requireRole("operator"));
export const adminProcedure = base.meta({ tier: "admin" }).use(requireRole("admin"));
