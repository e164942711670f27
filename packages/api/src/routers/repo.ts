import { z } from "zod";
import { actorOf } from "../actor.js";
import { reloadOnEvents } from "../live.js";
import { ZId, ZMaintenanceSettings } from "../schemas.js";
import { adminProcedure, authedProcedure, operatorProcedure, router } from "../trpc.js";
import {
  ZRepoRunCheckRequest,
  ZRepoRunForgetRequest,
  ZRepoRunForgetResponse,
  ZRepoRunPruneRequest,
  ZRepoRunResponse,
  ZRepoRunUnlockRequest,
  ZRepoUpdateBandwidthRequest,
  ZRepoUpdateBandwidthResponse,
} from "./repo.types.js";

const host = z.object({ hostId: ZId });

/** The Repo page: stats, maintenance cadences, bandwidth caps, the prune credential, Run-now. */
export const repoRouter = router({
  overview: authedProcedure.input(host).query(({ ctx, input }) => ctx.core.maintenance.overview(input.hostId)),

  watch: authedProcedure.input(host).subscription(async function* ({ ctx, input, signal }) {
    const { core } = ctx;
    yield* reloadOnEvents({
      bus: core.events,
      events: ["host.changed", "host.snapshots", "job.updated"],
      signal,
      load: () => core.maintenance.overview(input.hostId),
      refreshMs: 30_000,
    });
  }),

  updateMaintenance: operatorProcedure
    .input(ZMaintenanceSettings.extend({ hostId: ZId }))
    .mutation(({ ctx, input }) => ctx.core.maintenance.updateSettings(input.hostId, input, actorOf(ctx))),

  updateBandwidth: operatorProcedure
    .input(ZRepoUpdateBandwidthRequest)
    .output(ZRepoUpdateBandwidthResponse)
    .mutation(async ({ ctx, input }) => {
      await ctx.core.maintenance.updateBandwidth(input.hostId, input, actorOf(ctx));
      return { ok: true as const };
    }),

  /** Sets (or with `clear`, removes) the non-append-only credential used by prune only. */
  updateAdminCredentials: adminProcedure
    .input(
      z.union([
        z.object({
          hostId: ZId,
          username: z.string().trim().max(255).nullable(),
          password: z.string().min(1, "Enter the admin password.").max(4096),
        }),
        z.object({ hostId: ZId, clear: z.literal(true) }),
      ]),
    )
    .mutation(async ({ ctx, input }) => {
      await ctx.core.hosts.updateAdminCredentials(
        input.hostId,
        "clear" in input ? null : { username: input.username || null, password: input.password },
        actorOf(ctx),
      );
      return { ok: true as const };
    }),

  runForget: operatorProcedure
    .input(ZRepoRunForgetRequest)
    .output(ZRepoRunForgetResponse)
    .mutation(({ ctx, input }) => ctx.core.runNow.forget(input.hostId, input.groupId ?? null, actorOf(ctx))),

  runPrune: operatorProcedure
    .input(ZRepoRunPruneRequest)
    .output(ZRepoRunResponse)
    .mutation(({ ctx, input }) => ctx.core.runNow.prune(input.hostId, actorOf(ctx))),

  runCheck: operatorProcedure
    .input(ZRepoRunCheckRequest)
    .output(ZRepoRunResponse)
    .mutation(({ ctx, input }) => ctx.core.runNow.check(input.hostId, actorOf(ctx), input.subsetPct)),

  runUnlock: operatorProcedure
    .input(ZRepoRunUnlockRequest)
    .output(ZRepoRunResponse)
    .mutation(({ ctx, input }) => ctx.core.runNow.unlock(input.hostId, actorOf(ctx))),
});
