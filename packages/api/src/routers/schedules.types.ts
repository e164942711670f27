/** schedules.*: the request and response schemas scripts and the SPA share. Pure zod. */
import { JOB_TRIGGERS } from "@restic-manager/protocol/vocabulary";
import { z } from "zod";
import { ZCountedPage, ZOk } from "../list.js";
import { ZId, ZJobStatus, ZScheduleFields } from "../schemas.js";

export const ZScheduleListRequest = z.object({ hostId: ZId });
export const ZScheduleListItem = z.object({
  id: z.string(),
  cron: z.string(),
  enabled: z.boolean(),
  /** The cron in words. */
  description: z.string(),
  /** The host's time zone, in which the cron fires. */
  timezone: z.string(),
  groups: z.array(z.object({ id: z.string(), name: z.string() })),
  /** Epoch milliseconds; null when paused or the cron never fires. */
  nextRunAt: z.number().nullable(),
  lastRun: z
    .object({
      id: z.string(),
      status: ZJobStatus,
      createdAt: z.date(),
      finishedAt: z.date().nullable(),
      trigger: z.enum(JOB_TRIGGERS),
    })
    .nullable(),
  /** Missed slots waiting for the host to come back. */
  pendingRuns: z.number().int(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export const ZScheduleListResponse = ZCountedPage(ZScheduleListItem);

export const ZScheduleGetRequest = z.object({ scheduleId: ZId });
export const ZSchedule = z.object({
  id: z.string(),
  hostId: z.string(),
  cron: z.string(),
  enabled: z.boolean(),
  sourceGroupIds: z.array(z.string()),
  /** Every slot up to here is accounted for. */
  accountedUntil: z.date(),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export const ZScheduleGetResponse = ZSchedule;

export const ZScheduleCreateRequest = ZScheduleFields.extend({ hostId: ZId });
export const ZScheduleCreateResponse = ZSchedule;
export const ZScheduleUpdateRequest = ZScheduleFields.extend({ scheduleId: ZId });
export const ZScheduleUpdateResponse = ZSchedule;
export const ZScheduleRemoveRequest = z.object({ scheduleId: ZId });
export const ZScheduleRemoveResponse = ZOk;

/** Runs all the schedule's groups now, one after another (also when the schedule is paused). */
export const ZScheduleRunNowRequest = z.object({ scheduleId: ZId });
export const ZScheduleRunNowResponse = z.object({ jobIds: z.array(z.string()) });

export type ScheduleListItem = z.infer<typeof ZScheduleListItem>;
export type Schedule = z.infer<typeof ZSchedule>;
