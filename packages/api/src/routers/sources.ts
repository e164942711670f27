import { z } from "zod";
import { actorOf } from "../actor.js";
import { wholeList } from "../list.js";
import { ZId, ZRetention } from "../schemas.js";
import { authedProcedure, operatorProcedure, router } from "../trpc.js";
import {
  ZSourceCreateRequest,
  ZSourceCreateResponse,
  ZSourceListRequest,
  ZSourceListResponse,
  ZSourceRemoveRequest,
  ZSourceRemoveResponse,
  ZSourceRunNowRequest,
  ZSourceRunNowResponse,
  ZSourceUpdateRequest,
  ZSourceUpdateResponse,
} from "./sources.types.js";

export const sourcesRouter = router({
  list: authedProcedure
    .input(ZSourceListRequest)
    .output(ZSourceListResponse)
    .query(async ({ ctx, input }) => wholeList(await ctx.core.sources.list(input.hostId))),

  /** One group with its hook commands in plain text, for the edit form (operators only). */
  get: operatorProcedure.input(z.object({ groupId: ZId })).query(async ({ ctx, input }) => {
    const group = await ctx.core.sources.get(input.groupId);
    const hooks = await ctx.core.sources.hooks(input.groupId);
    const usedBy = await ctx.core.sources.schedulesUsing(input.groupId);
    return { ...group, preHook: hooks.preHook, postHook: hooks.postHook, usedBy };
  }),

  /** Groups whose paths overlap with the draft's but whose retention differs (the form's banner). */
  conflicts: authedProcedure
    .input(
      z.object({
        hostId: ZId,
        groupId: ZId.optional(),
        includePaths: z.array(z.string().max(4096)).max(1000),
        retention: ZRetention,
      }),
    )
    .query(({ ctx, input }) =>
      ctx.core.sources.conflicts(input.hostId, {
        id: input.groupId,
        includePaths: input.includePaths.filter((p) => p.trim() !== ""),
        retention: input.retention,
      }),
    ),

  create: operatorProcedure
    .input(ZSourceCreateRequest)
    .output(ZSourceCreateResponse)
    .mutation(({ ctx, input }) => ctx.core.sources.create(input.hostId, input, actorOf(ctx))),

  update: operatorProcedure
    .input(ZSourceUpdateRequest)
    .output(ZSourceUpdateResponse)
    .mutation(({ ctx, input }) => ctx.core.sources.update(input.groupId, input, actorOf(ctx))),

  remove: operatorProcedure
    .input(ZSourceRemoveRequest)
    .output(ZSourceRemoveResponse)
    .mutation(async ({ ctx, input }) => {
      await ctx.core.sources.remove(input.groupId, actorOf(ctx));
      return { ok: true as const };
    }),

  /** Backs up the group now; `limits` overrides the host's bandwidth caps for this run only. */
  runNow: operatorProcedure
    .input(ZSourceRunNowRequest)
    .output(ZSourceRunNowResponse)
    .mutation(({ ctx, input }) =>
      ctx.core.runNow.backup(input.groupId, actorOf(ctx), input.limits ? { limits: input.limits } : {}),
    ),
});
