/** hosts.*: the request and response schemas scripts and the SPA share. Pure zod. */
import { HOST_ATTENTION_REASONS, HOST_STATUSES } from "@restic-manager/protocol/vocabulary";
import { z } from "zod";
import { ZCountedPage, ZCursor } from "../list.js";
import { ZHostListRequest, ZId } from "../schemas.js";

/** What every view of a host shows. */
export const ZHostSummary = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(HOST_STATUSES),
  tags: z.array(z.string()),
  os: z.string().nullable(),
  arch: z.string().nullable(),
  reportedHostname: z.string().nullable(),
  agentVersion: z.string().nullable(),
  resticVersion: z.string().nullable(),
  resticError: z.string().nullable(),
  lastSeenAt: z.date().nullable(),
  lastBackupAt: z.date().nullable(),
  lastBackupStatus: z.string().nullable(),
  snapshotCount: z.number().int(),
  repoSizeBytes: z.number().nullable(),
  repoLockError: z.string().nullable(),
});

export { ZHostListRequest };
export const ZHostListItem = ZHostSummary.extend({
  attention: z.enum(HOST_ATTENTION_REASONS),
  /** The one enabled schedule that backs up all the host's groups, when there is exactly one. */
  coveringScheduleId: z.string().nullable(),
});
export const ZHostListResponse = ZCountedPage(ZHostListItem).extend({
  /** How many matching hosts come before the first item. */
  offset: z.number().int(),
  /** Walks back one page with the same sort. */
  prevCursor: z.string().nullable(),
});

export const ZHostGetRequest = z.object({ hostId: ZId });
export const ZHost = ZHostSummary.extend({
  protocolVersion: z.number().int().nullable(),
  createdAt: z.date(),
  revokedAt: z.date().nullable(),
  configVersion: z.number().int(),
  configAckedVersion: z.number().int().nullable(),
  timezone: z.string(),
  scheduleVersion: z.number().int(),
  scheduleAckedVersion: z.number().int().nullable(),
  scheduleAckError: z.string().nullable(),
});
export const ZHostGetResponse = ZHost;

export const ZHostSnapshotsRequest = z.object({
  hostId: ZId,
  limit: z.number().int().min(1).max(200).default(50),
  /** nextCursor of the previous page. */
  cursor: ZCursor.regex(/^\d+$/, "This page cursor is not one the console gave out.").nullish(),
  /** Or jump to the n-th snapshot, newest first (the Snapshots tab's page numbers). */
  offset: z.number().int().min(0).optional(),
});
export const ZSnapshot = z.object({
  hostId: z.string(),
  snapshotId: z.string(),
  shortId: z.string(),
  time: z.date(),
  hostname: z.string().nullable(),
  paths: z.array(z.string()),
  tags: z.array(z.string()),
  summary: z.record(z.string(), z.unknown()).nullable(),
});
export const ZHostSnapshotsResponse = ZCountedPage(ZSnapshot);

export type HostListItem = z.infer<typeof ZHostListItem>;
export type Host = z.infer<typeof ZHost>;
export type Snapshot = z.infer<typeof ZSnapshot>;
