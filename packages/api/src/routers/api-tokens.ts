import { z } from "zod";
import { actorOf } from "../actor.js";
import { wholeList } from "../list.js";
import { ZCreateApiTokenRequest, ZId } from "../schemas.js";
import { authedProcedure, router } from "../trpc.js";

export const apiTokensRouter = router({
  list: authedProcedure.query(async ({ ctx }) => wholeList(await ctx.core.auth.listApiTokens(ctx.user.id))),

  /** The token is in this answer and nowhere else, ever. */
  create: authedProcedure
    .input(ZCreateApiTokenRequest)
    .mutation(({ ctx, input }) => ctx.core.auth.createApiToken(ctx.user, input, actorOf(ctx))),

  revoke: authedProcedure.input(z.object({ id: ZId })).mutation(async ({ ctx, input }) => {
    await ctx.core.auth.revokeApiToken(ctx.user.id, input.id, actorOf(ctx));
    return { ok: true as const };
  }),
});
