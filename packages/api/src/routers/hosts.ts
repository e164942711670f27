import { z } from "zod";
import { actorOf } from "../actor.js";
import { ZId, ZUpdateCredentialsRequest } from "../schemas.js";
import { adminProcedure, authedProcedure, operatorProcedure, router } from "../trpc.js";

export const hostsRouter = router({
  list: authedProcedure.query(({ ctx }) => ctx.core.hosts.list()),

  get: authedProcedure.input(z.object({ hostId: ZId })).query(({ ctx, input }) => ctx.core.hosts.get(input.hostId)),

  /** URL and username only; the password never leaves the server except to the agent. */
  credentials: operatorProcedure
    .input(z.object({ hostId: ZId }))
    .query(({ ctx, input }) => ctx.core.hosts.redactedCredentials(input.hostId)),

  updateCredentials: operatorProcedure.input(ZUpdateCredentialsRequest).mutation(async ({ ctx, input }) => {
    await ctx.core.hosts.updateCredentials(
      input.hostId,
      { url: input.repoUrl, username: input.repoUsername || null, password: input.repoPassword || undefined },
      actorOf(ctx),
    );
    return { ok: true as const };
  }),

  revoke: adminProcedure.input(z.object({ hostId: ZId })).mutation(async ({ ctx, input }) => {
    await ctx.core.hosts.revoke(input.hostId, actorOf(ctx));
    return { ok: true as const };
  }),
});
