import { z } from "zod";
import { actorOf } from "../actor.js";
import { ZCreateSourceGroupRequest, ZId, ZUpdateSourceGroupRequest } from "../schemas.js";
import { authedProcedure, operatorProcedure, router } from "../trpc.js";

export const sourcesRouter = router({
  list: authedProcedure.input(z.object({ hostId: ZId })).query(({ ctx, input }) => ctx.core.sources.list(input.hostId)),

  create: operatorProcedure
    .input(ZCreateSourceGroupRequest)
    .mutation(({ ctx, input }) => ctx.core.sources.create(input.hostId, input, actorOf(ctx))),

  update: operatorProcedure
    .input(ZUpdateSourceGroupRequest)
    .mutation(({ ctx, input }) => ctx.core.sources.update(input.groupId, input, actorOf(ctx))),

  remove: operatorProcedure.input(z.object({ groupId: ZId })).mutation(async ({ ctx, input }) => {
    await ctx.core.sources.remove(input.groupId, actorOf(ctx));
    return { ok: true as const };
  }),
});
