/**
 * The console's shared vocabulary as schemas: job kinds and statuses, and a source group's
 * retention. Its own module (and enums.ts, without zod), so a browser bundle that needs these
 * does not carry every wire message schema of the protocol.
 */
import { z } from "zod";
import { JOB_FINAL_STATUSES, JOB_KINDS, JOB_STATUSES, RESTIC_DURATION, RESTIC_DURATION_HINT } from "./enums.js";

export * from "./enums.js";

const NO_NUL = /^[^\0]*$/;
const text = (max: number) => z.string().max(max).regex(NO_NUL, "must not contain NUL bytes");

export const ZJobKind = z.enum(JOB_KINDS);
export const ZJobFinalStatus = z.enum(JOB_FINAL_STATUSES);
export const ZJobStatus = z.enum(JOB_STATUSES);

const keep = z.number().int().min(1, "At least 1, or leave it empty.").max(1_000_000).nullable();
/**
 * A source group's retention, restic forget --keep-*; null = that rule is not used. The one
 * definition: the API's input, the core's checks and the SPA's form derive from it.
 */
export const ZRetention = z.object({
  keepLast: keep,
  keepHourly: keep,
  keepDaily: keep,
  keepWeekly: keep,
  keepMonthly: keep,
  keepYearly: keep,
  keepWithin: text(32).regex(RESTIC_DURATION, RESTIC_DURATION_HINT).nullable(),
});
export type Retention = z.infer<typeof ZRetention>;
