import { actorOf } from "../actor.js";
import { ZOk } from "../list.js";
import { adminProcedure, authedProcedure, operatorProcedure, router } from "../trpc.js";
import {
  ZAlertAcknowledgeRequest,
  ZAlertAcknowledgeResponse,
  ZAlertGetRequest,
  ZAlertGetResponse,
  ZAlertListRequest,
  ZAlertListResponse,
  ZAlertOpenCountResponse,
  ZAlertResolveRequest,
  ZAlertResolveResponse,
  ZAlertRulesGetRequest,
  ZAlertRulesGetResponse,
  ZAlertRulesUpdateRequest,
  ZAlertRulesUpdateResponse,
  ZBackupHealthRequest,
  ZBackupHealthResponse,
  ZChannelCreateRequest,
  ZChannelCreateResponse,
  ZChannelDeleteRequest,
  ZChannelListResponse,
  ZChannelTestRequest,
  ZChannelTestResponse,
  ZChannelUpdateRequest,
  ZChannelUpdateResponse,
} from "./alerts.types.js";

export const alertsRouter = router({
  /** Newest first; the cursor is the last alert of the previous page. */
  list: authedProcedure
    .input(ZAlertListRequest)
    .output(ZAlertListResponse)
    .query(async ({ ctx, input }) => {
      const { cursor, ...filter } = input;
      const { items, total } = await ctx.core.alerts.list({ ...filter, ...(cursor ? { before: cursor } : {}) });
      return { items, total, nextCursor: items.length === input.limit ? (items.at(-1)?.id ?? null) : null };
    }),

  get: authedProcedure
    .input(ZAlertGetRequest)
    .output(ZAlertGetResponse)
    .query(async ({ ctx, input }) => ({
      ...(await ctx.core.alerts.get(input.alertId)),
      deliveries: await ctx.core.alertDelivery.log(input.alertId),
    })),

  acknowledge: operatorProcedure
    .input(ZAlertAcknowledgeRequest)
    .output(ZAlertAcknowledgeResponse)
    .mutation(({ ctx, input }) => ctx.core.alerts.acknowledge(input.alertId, actorOf(ctx), input.note ?? null)),

  resolve: operatorProcedure
    .input(ZAlertResolveRequest)
    .output(ZAlertResolveResponse)
    .mutation(({ ctx, input }) => ctx.core.alerts.resolve(input.alertId, actorOf(ctx), input.note ?? null)),

  /** The backup-health view: every source group with its last backup, RPO and state. */
  health: authedProcedure
    .input(ZBackupHealthRequest)
    .output(ZBackupHealthResponse)
    .query(async ({ ctx, input }) => {
      const { items, counts } = await ctx.core.backupHealth.list(input.hostId);
      return { items, nextCursor: null, total: items.length, counts };
    }),

  openCount: authedProcedure.output(ZAlertOpenCountResponse).query(({ ctx }) => ctx.core.alerts.openCount()),
});

export const channelsRouter = router({
  list: adminProcedure.output(ZChannelListResponse).query(async ({ ctx }) => {
    const items = await ctx.core.alertChannels.list();
    return { items, nextCursor: null, total: items.length };
  }),

  create: adminProcedure
    .input(ZChannelCreateRequest)
    .output(ZChannelCreateResponse)
    .mutation(({ ctx, input }) => ctx.core.alertChannels.create(input, actorOf(ctx))),

  update: adminProcedure
    .input(ZChannelUpdateRequest)
    .output(ZChannelUpdateResponse)
    .mutation(({ ctx, input }) => ctx.core.alertChannels.update(input.channelId, input.channel, actorOf(ctx))),

  delete: adminProcedure
    .input(ZChannelDeleteRequest)
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await ctx.core.alertChannels.remove(input.channelId, actorOf(ctx));
      return { ok: true as const };
    }),

  /** Sends a test notification now and answers how it went (also in the channel's delivery log). */
  test: adminProcedure
    .input(ZChannelTestRequest)
    .output(ZChannelTestResponse)
    .mutation(async ({ ctx, input }) => {
      await ctx.core.alertChannels.get(input.channelId);
      return ctx.core.alertDelivery.sendTest(input.channelId);
    }),
});

export const alertRulesRouter = router({
  get: adminProcedure
    .input(ZAlertRulesGetRequest)
    .output(ZAlertRulesGetResponse)
    .query(({ ctx, input }) => ctx.core.alertRules.get(input.hostId ?? null)),

  update: adminProcedure
    .input(ZAlertRulesUpdateRequest)
    .output(ZAlertRulesUpdateResponse)
    .mutation(({ ctx, input }) => ctx.core.alertRules.update(input, actorOf(ctx))),
});
