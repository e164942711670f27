import { z } from "zod";
import { actorOf } from "../actor.js";
import { checkedOnce } from "../checked-once.js";
import { ZOk } from "../list.js";
import { ZHostOptionsRequest, ZId, ZUpdateCredentialsRequest } from "../schemas.js";
import { sharedRead } from "../shared-reads.js";
import { adminProcedure, authedProcedure, operatorProcedure, router } from "../trpc.js";
import {
  ZHostGetRequest,
  ZHostGetResponse,
  ZHostListRequest,
  ZHostListResponse,
  ZHostSnapshotsRequest,
  ZHostSnapshotsResponse,
} from "./hosts.types.js";

export const hostsRouter = router({
  /** A page of hosts: search, status filter, name or attention order, keyset cursor, with the total. */
  list: authedProcedure
    .input(ZHostListRequest)
    .output(checkedOnce(ZHostListResponse))
    .query(({ ctx, input }) => sharedRead(ctx.core, "hosts.list", input, 1_000, () => ctx.core.hosts.list(input))),

  /** Id and name only, for pickers (the Jobs page's host filter); not paged: `hasMore` says it was cut. */
  options: authedProcedure.input(ZHostOptionsRequest).query(({ ctx, input }) => ctx.core.hosts.options(input)),

  get: authedProcedure
    .input(ZHostGetRequest)
    .output(ZHostGetResponse)
    .query(({ ctx, input }) => ctx.core.hosts.get(input.hostId)),

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

  summary: authedProcedure.query(({ ctx }) =>
    sharedRead(ctx.core, "hosts.summary", null, 2_000, () => ctx.core.hosts.fleetSummary()),
  ),

  /** The host's snapshots, newest first; the cursor is where the next page starts. */
  snapshots: authedProcedure
    .input(ZHostSnapshotsRequest)
    .output(ZHostSnapshotsResponse)
    .query(async ({ ctx, input }) => {
      const host = await ctx.core.hosts.get(input.hostId);
      const offset = input.cursor ? Number(input.cursor) : (input.offset ?? 0);
      const items = await ctx.core.reports.snapshots(input.hostId, { limit: input.limit, offset });
      const next = offset + items.length;
      return {
        items,
        total: host.snapshotCount,
        nextCursor: items.length === input.limit && next < host.snapshotCount ? String(next) : null,
      };
    }),

  /** The latest init job, shown under the host's vitals. */
  initStatus: authedProcedure
    .input(z.object({ hostId: ZId }))
    .query(({ ctx, input }) => ctx.core.jobs.latest(input.hostId, "init")),

  reinit: operatorProcedure
    .input(z.object({ hostId: ZId, confirmName: z.string().max(255) }))
    .mutation(({ ctx, input }) => ctx.core.runNow.reinit(input.hostId, input.confirmName, actorOf(ctx))),

  remove: adminProcedure
    .input(z.object({ hostId: ZId, confirmName: z.string().max(255) }))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await ctx.core.hosts.remove(input.hostId, input.confirmName, actorOf(ctx));
      return { ok: true as const };
    }),

  revoke: adminProcedure
    .input(z.object({ hostId: ZId }))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await ctx.core.hosts.revoke(input.hostId, actorOf(ctx));
      return { ok: true as const };
    }),
});
