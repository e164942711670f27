import type { JobLogLine } from "@restic-manager/core";
import type { JobProgress } from "@restic-manager/protocol";
import { actorOf } from "../actor.js";
import { checkedOnce } from "../checked-once.js";
import { sharedRead } from "../shared-reads.js";
import { shareSerialization } from "../transformer.js";
import { authedProcedure, operatorProcedure, router } from "../trpc.js";
import {
  JOB_LOG_PAGE_MAX,
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

const HISTORY_PAGE = JOB_LOG_PAGE_MAX;

/**
 * Stream events made once per bus event and shared by every viewer of the job, so each is
 * serialised once (see transformer.ts); keyed weakly by the bus event object.
 */
const streamEvents = new WeakMap<object, JobStreamEvent>();
const jobReads = new WeakMap<object, Promise<JobStreamEvent>>();

function sharedEvent(source: object, make: () => JobStreamEvent): JobStreamEvent {
  let event = streamEvents.get(source);
  if (!event) {
    event = shareSerialization(make());
    streamEvents.set(source, event);
  }
  return event;
}

/** What the live job page receives, in order. */
export type JobStreamEvent =
  | { type: "job"; job: Awaited<ReturnType<import("@restic-manager/core").JobQueries["get"]>> }
  | { type: "logs"; lines: JobLogLine[] }
  | { type: "progress"; progress: JobProgress };

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
   * A job as it runs, for scripts: the job, its whole log so far, then every new line, progress
   * and status change. (The SPA's job page reads the same events from GET /api/jobs/:id/stream,
   * which writes each batch once for all viewers; see apps/server/src/http/job-stream.ts.)
   * It subscribes before reading history and drops buffered lines the history already had, so
   * there is no gap and no duplicate.
   */
  watch: authedProcedure.input(ZJobWatchRequest).subscription(async function* ({ ctx, input, signal }) {
    const { jobs: service, events } = ctx.core;
    const pending: JobStreamEvent[] = [];
    let wake: (() => void) | null = null;
    const push = (e: JobStreamEvent) => {
      pending.push(e);
      wake?.();
    };
    const offs = [
      events.on("job.logs", (e) => {
        if (e.jobId === input.jobId) push(sharedEvent(e, () => ({ type: "logs", lines: e.lines })));
      }),
      events.on("job.progress", (e) => {
        if (e.jobId === input.jobId) push(sharedEvent(e, () => ({ type: "progress", progress: e.progress })));
      }),
      events.on("job.updated", (e) => {
        if (e.jobId !== input.jobId) return;
        // One read per change, whatever the number of viewers.
        let read = jobReads.get(e);
        if (!read) {
          read = service.get(e.jobId).then((job) => shareSerialization<JobStreamEvent>({ type: "job", job }));
          jobReads.set(e, read);
        }
        read.then(push, () => undefined); // a job deleted meanwhile: nothing to show
      }),
    ];
    signal?.addEventListener("abort", () => wake?.(), { once: true });
    try {
      const job = await service.get(input.jobId);
      yield { type: "job", job } satisfies JobStreamEvent;
      if (job.progress) yield { type: "progress", progress: job.progress } satisfies JobStreamEvent;
      let lastSeq = -1;
      for (;;) {
        const page = await service.logs(input.jobId, lastSeq, HISTORY_PAGE);
        if (page.length === 0) break;
        lastSeq = page.at(-1)?.seq ?? lastSeq;
        yield { type: "logs", lines: page } satisfies JobStreamEvent;
        if (page.length < HISTORY_PAGE) break;
      }
      while (!signal?.aborted) {
        const next = pending.shift();
        if (!next) {
          await new Promise<void>((r) => {
            wake = r;
          });
          wake = null;
          continue;
        }
        if (next.type !== "logs") {
          yield next;
          continue;
        }
        // A viewer that fell behind gets what queued up in one event, not one per batch.
        const queued = [next];
        while (pending[0]?.type === "logs") queued.push(pending.shift() as typeof next);
        const first = next.lines[0];
        if (queued.length === 1 && first && first.seq > lastSeq) {
          lastSeq = next.lines.at(-1)?.seq ?? lastSeq;
          yield next; // the shared event: serialised once for every viewer
          continue;
        }
        const fresh = queued.flatMap((e) => e.lines).filter((l) => l.seq > lastSeq);
        if (fresh.length === 0) continue;
        lastSeq = fresh.at(-1)?.seq ?? lastSeq;
        yield { type: "logs", lines: fresh } satisfies JobStreamEvent;
      }
    } finally {
      for (const off of offs) off();
    }
  }),
});
