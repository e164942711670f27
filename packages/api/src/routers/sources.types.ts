/** sources.*: the request and response schemas scripts and the SPA share. Pure zod. */
import { z } from "zod";
import { ZCountedPage, ZOk } from "../list.js";
import { ZBandwidth, ZCreateSourceGroupRequest, ZId, ZRetention, ZUpdateSourceGroupRequest } from "../schemas.js";
import { ZJobDispatchResponse } from "./jobs.types.js";

/** A source group as the API shows it: hooks as flags only (their text is in sources.get). */
export const ZSourceGroup = z.object({
  id: z.string(),
  hostId: z.string(),
  name: z.string(),
  includePaths: z.array(z.string()),
  excludePatterns: z.array(z.string()),
  retention: ZRetention,
  /** "daily 7, weekly 4" or "keep everything". */
  retentionSummary: z.string(),
  // The retention's fields also flat, as stored (kept for the SPA).
  keepLast: z.number().int().nullable(),
  keepHourly: z.number().int().nullable(),
  keepDaily: z.number().int().nullable(),
  keepWeekly: z.number().int().nullable(),
  keepMonthly: z.number().int().nullable(),
  keepYearly: z.number().int().nullable(),
  keepWithin: z.string().nullable(),
  retryMax: z.number().int(),
  retryBackoffSeconds: z.number().int(),
  hookTimeoutSeconds: z.number().int(),
  /** The RPO alert's window in minutes; null = derived from the group's schedules (alertRules.update sets it). */
  rpoMinutes: z.number().int().nullable(),
  hasPreHook: z.boolean(),
  hasPostHook: z.boolean(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

export const ZSourceListRequest = z.object({ hostId: ZId });
export const ZSourceListResponse = ZCountedPage(ZSourceGroup);

export { ZCreateSourceGroupRequest as ZSourceCreateRequest, ZUpdateSourceGroupRequest as ZSourceUpdateRequest };
export const ZSourceCreateResponse = ZSourceGroup;
export const ZSourceUpdateResponse = ZSourceGroup;

export const ZSourceRemoveRequest = z.object({ groupId: ZId });
export const ZSourceRemoveResponse = ZOk;

export const ZSourceRunNowRequest = z.object({
  groupId: ZId,
  /** Overrides the host's bandwidth caps for this run only. */
  limits: ZBandwidth.optional(),
});
export const ZSourceRunNowResponse = ZJobDispatchResponse;

export type SourceGroup = z.infer<typeof ZSourceGroup>;
