import { CRON_PRESETS } from "@restic-manager/core";
import { z } from "zod";
import { actorOf } from "../actor.js";
import { wholeList } from "../list.js";
import { reloadOnEvents } from "../live.js";
import { ZId } from "../schemas.js";
import { authedProcedure, operatorProcedure, router } from "../trpc.js";
import {
  ZScheduleCreateRequest,
  ZScheduleCreateResponse,
  ZScheduleGetRequest,
  ZScheduleGetResponse,
  ZScheduleListRequest,
  ZScheduleListResponse,
  ZScheduleRemoveRequest,
  ZScheduleRemoveResponse,
  ZScheduleRunNowRequest,
  ZScheduleRunNowResponse,
  ZScheduleUpdateRequest,
  ZScheduleUpdateResponse,
} from "./schedules.types.js";

export const schedulesRouter = router({
  list: authedProcedure
    .input(ZScheduleListRequest)
    .output(ZScheduleListResponse)
    .query(async ({ ctx, input }) => wholeList(await ctx.core.schedules.list(input.hostId))),

  get: authedProcedure
    .input(ZScheduleGetRequest)
    .output(ZScheduleGetResponse)
    .query(({ ctx, input }) => ctx.core.schedules.get(input.scheduleId)),

  /** Validation, description and the next three fires in the host's time zone, while typing. */
  preview: authedProcedure
    .input(z.object({ hostId: ZId, cron: z.string().max(256) }))
    .query(({ ctx, input }) => ctx.core.schedules.preview(input.hostId, input.cron)),

  presets: authedProcedure.query(() => CRON_PRESETS),

  /** The schedules page, live: list, agent sync state and pending catch-ups, re-sent on change. */
  watch: authedProcedure.input(z.object({ hostId: ZId })).subscription(async function* ({ ctx, input, signal }) {
    const { core } = ctx;
    const load = async () => {
      const host = await core.hosts.get(input.hostId);
      return {
        schedules: wholeList(await core.schedules.list(input.hostId)),
        pending: await core.schedules.pending(input.hostId),
        sync: {
          version: host.scheduleVersion,
          ackedVersion: host.scheduleAckedVersion,
          error: host.scheduleAckError,
          inSync: host.scheduleAckedVersion === host.scheduleVersion,
          online: host.status === "online",
        },
      };
    };
    yield* reloadOnEvents({
      bus: core.events,
      events: ["host.changed", "host.schedules_changed", "host.status", "job.updated"],
      signal,
      load,
      refreshMs: 15_000,
    });
  }),

  create: operatorProcedure
    .input(ZScheduleCreateRequest)
    .output(ZScheduleCreateResponse)
    .mutation(({ ctx, input }) => ctx.core.schedules.create(input.hostId, input, actorOf(ctx))),

  update: operatorProcedure
    .input(ZScheduleUpdateRequest)
    .output(ZScheduleUpdateResponse)
    .mutation(({ ctx, input }) => ctx.core.schedules.update(input.scheduleId, input, actorOf(ctx))),

  remove: operatorProcedure
    .input(ZScheduleRemoveRequest)
    .output(ZScheduleRemoveResponse)
    .mutation(async ({ ctx, input }) => {
      await ctx.core.schedules.remove(input.scheduleId, actorOf(ctx));
      return { ok: true as const };
    }),

  /** Runs all the schedule's groups now, one after another (also when the schedule is paused). */
  runNow: operatorProcedure
    .input(ZScheduleRunNowRequest)
    .output(ZScheduleRunNowResponse)
    .mutation(({ ctx, input }) => ctx.core.schedules.runNow(input.scheduleId, actorOf(ctx))),
});
