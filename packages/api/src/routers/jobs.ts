import { type Core, JobFeed, type JobFeedEvent, QueueSink } from "@restic-manager/core";
import { actorOf } from "../actor.js";
import { checkedOnce } from "../checked-once.js";
import { sharedRead } from "../shared-reads.js";
import { shareSerialization } from "../transformer.js";
import { authedProcedure, operatorProcedure, router } from "../trpc.js";
import {
  ZJobCancelRequest,
  ZJobCancelResponse,
  ZJobDispatchResponse,
  ZJobGetRequest,
  ZJobGetResponse,
  ZJobListRequest,
  ZJobListResponse,
  ZJobLogsRequest,
  ZJobLogsResponse,
  ZJobRunBackupRequest,
  ZJobWatchRequest,
} from "./jobs.types.js";

/**
 * One job feed per console for every `jobs.watch` subscriber: each event is made once and its
 * serialisation shared by every subscriber (see transformer.ts). The feed does the catch-up,
 * the seq dedupe and the slow-subscriber handling, as for the job page's event stream.
 */
const feeds = new WeakMap<Core, JobFeed<JobFeedEvent>>();
function feedOf(core: Core): JobFeed<JobFeedEvent> {
  let feed = feeds.get(core);
  if (!feed) {
    feed = new JobFeed<JobFeedEvent>(core.events, core.jobs, (type, data) =>
      shareSerialization({ type, data } as JobFeedEvent),
    );
    feeds.set(core, feed);
  }
  return feed;
}

/** Events a subscriber may fall behind by before it is caught up from the database instead. */
const WATCH_QUEUE = 64;

export const jobsRouter = router({
  /** Newest first; the cursor is the last job of the previous page. */
  list: authedProcedure
    .input(ZJobListRequest)
    .output(checkedOnce(ZJobListResponse))
    .query(({ ctx, input }) =>
      sharedRead(ctx.core, "jobs.list", input, 1_000, async () => {
        const { cursor, ...filter } = input;
        const items = await ctx.core.jobs.list({ ...filter, ...(cursor ? { before: cursor } : {}) });
        return { items, nextCursor: items.length === input.limit ? (items.at(-1)?.id ?? null) : null };
      }),
    ),

  get: authedProcedure
    .input(ZJobGetRequest)
    .output(ZJobGetResponse)
    .query(({ ctx, input }) => ctx.core.jobs.get(input.jobId)),

  /** The job's log lines in order, after the cursor (a line's seq). */
  logs: authedProcedure
    .input(ZJobLogsRequest)
    .output(ZJobLogsResponse)
    .query(async ({ ctx, input }) => {
      const items = await ctx.core.jobs.logs(input.jobId, input.cursor ? Number(input.cursor) : -1, input.limit);
      const last = items.at(-1);
      return { items, nextCursor: items.length === input.limit && last ? String(last.seq) : null };
    }),

  runBackup: operatorProcedure
    .input(ZJobRunBackupRequest)
    .output(ZJobDispatchResponse)
    .mutation(({ ctx, input }) => ctx.core.runNow.backup(input.groupId, actorOf(ctx))),

  cancel: operatorProcedure
    .input(ZJobCancelRequest)
    .output(ZJobCancelResponse)
    .mutation(({ ctx, input }) => ctx.core.dispatcher.cancel(input.jobId, actorOf(ctx))),

  /**
   * A job as it runs, for scripts: `{ type, data }` events of the job feed (JobFeedEvents): the
   * job, its progress, its whole log so far, then every new line, progress and status change;
   * no gap and no line twice. The SPA's job page reads the same feed from
   * GET /api/jobs/:id/stream.
   */
  watch: authedProcedure.input(ZJobWatchRequest).subscription(async function* ({ ctx, input, signal }) {
    await ctx.core.jobs.get(input.jobId); // NOT_FOUND before anything streams
    const sink = new QueueSink<JobFeedEvent>(WATCH_QUEUE, signal);
    const stop = feedOf(ctx.core).follow(input.jobId, sink);
    try {
      yield* sink.events();
    } finally {
      stop();
      sink.end();
    }
  }),
});
