import { z } from "zod";
import { actorOf } from "../actor.js";
import { wholeList } from "../list.js";
import { ZCreateUserRequest, ZId, ZRole } from "../schemas.js";
import { adminProcedure, router } from "../trpc.js";

export const usersRouter = router({
  list: adminProcedure.query(async ({ ctx }) => wholeList(await ctx.core.users.list())),

  create: adminProcedure
    .input(ZCreateUserRequest)
    .mutation(({ ctx, input }) => ctx.core.users.create(input, actorOf(ctx))),

  setRole: adminProcedure.input(z.object({ userId: ZId, role: ZRole })).mutation(async ({ ctx, input }) => {
    await ctx.core.users.setRole(input, actorOf(ctx));
    return { ok: true as const };
  }),

  setDisabled: adminProcedure
    .input(z.object({ userId: ZId, disabled: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      await ctx.core.users.setDisabled(input, actorOf(ctx));
      return { ok: true as const };
    }),
});
