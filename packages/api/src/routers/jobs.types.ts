/** jobs.*: the request and response schemas scripts and the SPA share. Pure zod. */
import { ZJobProgress } from "@restic-manager/protocol";
import { JOB_TRIGGERS } from "@restic-manager/protocol/vocabulary";
import { z } from "zod";
import { ZCursor, ZPage } from "../list.js";
import { ZBandwidth, ZId, ZJobKind, ZJobStatus } from "../schemas.js";

const ZJsonObject = z.record(z.string(), z.unknown());

export const ZJobListRequest = z.object({
  hostId: ZId.optional(),
  kind: ZJobKind.optional(),
  status: ZJobStatus.optional(),
  /** nextCursor of the previous page (newest first). */
  cursor: ZCursor.nullish(),
  limit: z.number().int().min(1).max(200).default(50),
});
export const ZJobGetRequest = z.object({ jobId: ZId });
export const ZJob = z.object({
  id: z.string(),
  hostId: z.string(),
  hostName: z.string(),
  kind: ZJobKind,
  status: ZJobStatus,
  trigger: z.enum(JOB_TRIGGERS),
  sourceGroupId: z.string().nullable(),
  sourceGroupName: z.string().nullable(),
  /** Who asked: "user:<id>", "token:<id>", "schedule:<id>", "system". */
  actor: z.string(),
  actorName: z.string().nullable(),
  /** The command's parameters (never secrets). */
  params: ZJsonObject.nullable(),
  createdAt: z.date(),
  dispatchedAt: z.date().nullable(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  /** restic's summary, e.g. snapshotId for a backup. */
  stats: ZJsonObject.nullable(),
  /** The latest progress report of a running job. */
  progress: ZJobProgress.shape.payload.nullable(),
  exitCode: z.number().int().nullable(),
  error: z.string().nullable(),
  lastSeq: z.number().int(),
  logLines: z.number().int(),
  logBytes: z.number().int(),
  logTruncated: z.boolean(),
  scheduleId: z.string().nullable(),
  scheduledFor: z.date().nullable(),
  limits: ZBandwidth.nullable(),
});
export const ZJobGetResponse = ZJob;

/** A row of a job list: the job without its parameters, progress and log counters. */
export const ZJobListItem = ZJob.pick({
  id: true,
  hostId: true,
  hostName: true,
  kind: true,
  status: true,
  sourceGroupName: true,
  actor: true,
  actorName: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
  error: true,
  stats: true,
});
/** No total: counting a filtered job history is not cheap. */
export const ZJobListResponse = ZPage(ZJobListItem);

export const JOB_LOG_PAGE_MAX = 5000;
export const ZJobLogsRequest = z.object({
  jobId: ZId,
  /** nextCursor of the previous page, or the seq of the last line already read. */
  cursor: ZCursor.regex(/^-?\d+$/, "This page cursor is not one the console gave out.").nullish(),
  limit: z.number().int().min(1).max(JOB_LOG_PAGE_MAX).default(1000),
});
export const ZJobLogLine = z.object({
  seq: z.number().int(),
  /** Epoch milliseconds. */
  at: z.number(),
  stream: z.enum(["stdout", "stderr", "system"]),
  line: z.string(),
});
/** nextCursor is null once the log so far is read; a running job's log grows (see jobs.watch). */
export const ZJobLogsResponse = ZPage(ZJobLogLine);

export const ZJobRunBackupRequest = z.object({ groupId: ZId });
export const ZJobDispatchResponse = z.object({
  jobId: z.string(),
  /** Queued behind the host's running job (schedules over several groups). */
  queuedBehind: z.boolean(),
  /** A scheduled slot that already had its job: that job. */
  duplicate: z.boolean(),
});

export const ZJobCancelRequest = z.object({ jobId: ZId });
export const ZJobCancelResponse = z.object({
  /** False when the agent was not connected: the job was marked cancelled at once. */
  sentToAgent: z.boolean(),
});

export const ZJobWatchRequest = z.object({ jobId: ZId });

export type JobListItem = z.infer<typeof ZJobListItem>;
export type Job = z.infer<typeof ZJob>;
export type JobLogLine = z.infer<typeof ZJobLogLine>;
