import { PASSWORD_RULES } from "@restic-manager/core";
import { SESSION_COOKIE } from "../cookies.js";
import { ZSetupRequest, ZSignInRequest } from "../schemas.js";
import { authedProcedure, publicProcedure, type RequestContext, router } from "../trpc.js";

const clientOf = (ctx: RequestContext) => ({ ip: ctx.ip, userAgent: ctx.userAgent });

function startSession(ctx: RequestContext, session: { token: string; expiresAt: Date }) {
  ctx.setCookie(SESSION_COOKIE, session.token, {
    maxAgeSeconds: Math.floor((session.expiresAt.getTime() - Date.now()) / 1000),
  });
}

export const authRouter = router({
  /** What the sign-in page needs: whether first-run setup is open, and who is signed in. */
  status: publicProcedure.query(async ({ ctx }) => ({
    setupRequired: !(await ctx.core.auth.adminExists()),
    passwordRules: PASSWORD_RULES,
    user: ctx.user,
  })),

  setup: publicProcedure.input(ZSetupRequest).mutation(async ({ ctx, input }) => {
    const session = await ctx.core.auth.completeSetup(input, clientOf(ctx));
    startSession(ctx, session);
    return { user: session.user };
  }),

  signIn: publicProcedure.input(ZSignInRequest).mutation(async ({ ctx, input }) => {
    const session = await ctx.core.auth.signIn(input, clientOf(ctx));
    startSession(ctx, session);
    return { user: session.user };
  }),

  signOut: authedProcedure.mutation(async ({ ctx }) => {
    if (ctx.auth?.kind === "session") await ctx.core.auth.signOut(ctx.auth.token, ctx.user, clientOf(ctx));
    ctx.clearCookie(SESSION_COOKIE);
    return { ok: true as const };
  }),
});
