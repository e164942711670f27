import { z } from "zod";
import { actorOf } from "../actor.js";
import { installCommands } from "../install-commands.js";
import { wholeList } from "../list.js";
import { reloadOnEvents } from "../live.js";
import { ZCreateEnrollmentRequest, ZId } from "../schemas.js";
import { operatorProcedure, router } from "../trpc.js";

export const enrollmentRouter = router({
  /** Mints a one-time token (1 h) and the install commands that carry it. */
  create: operatorProcedure.input(ZCreateEnrollmentRequest).mutation(async ({ ctx, input }) => {
    const created = await ctx.core.enrollment.createToken(
      {
        hostname: input.hostname,
        repository: { url: input.repoUrl, username: input.repoUsername || null, password: input.repoPassword },
      },
      actorOf(ctx),
    );
    return {
      id: created.id,
      token: created.token,
      expiresAt: created.expiresAt.getTime(),
      commands: installCommands(ctx.publicUrl, created.token),
    };
  }),

  pending: operatorProcedure.query(async ({ ctx }) => wholeList(await ctx.core.enrollment.pending())),

  status: operatorProcedure
    .input(z.object({ id: ZId }))
    .query(({ ctx, input }) => ctx.core.enrollment.status(input.id)),

  /** Live "awaiting agent" panel: the token's status now and after every host change. */
  watch: operatorProcedure.input(z.object({ id: ZId })).subscription(({ ctx, input, signal }) =>
    reloadOnEvents({
      bus: ctx.core.events,
      events: ["host.enrolled", "host.status"],
      signal,
      load: () => ctx.core.enrollment.status(input.id),
    }),
  ),
});
