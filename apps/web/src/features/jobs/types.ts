import type { JobFeedEvent, JobFeedEvents } from "@restic-manager/api";
import type { inferOutput } from "@trpc/tanstack-react-query";
import type { Trpc } from "../../lib/trpc";

export type Job = inferOutput<Trpc["jobs"]["get"]>;
export type JobRow = inferOutput<Trpc["jobs"]["list"]>["items"][number];
export type JobStatus = Job["status"];
export type JobKind = Job["kind"];
export type LogLine = JobFeedEvents["logs"][number];

export { JOB_KINDS, JOB_STATUSES } from "@restic-manager/protocol/enums";
export type { JobFeedEvent, JobFeedEvents };

/** Queued or running: the job can still change, and be cancelled. */
export function isActive(status: JobStatus): boolean {
  return status === "queued" || status === "running";
}

/** Job lists poll at the same pace as the hosts. */
export const JOBS_REFRESH_MS = 5_000;

/**
 * What the agent last reported for a running job: the protocol's `job.progress` payload, which
 * the console validates, stores and streams unchanged (so a renamed field fails to compile here).
 */
export type JobProgress = JobFeedEvents["progress"];

const num = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);

/** A backup's summary (restic's, in camelCase; snake_case accepted too). */
export interface BackupStats {
  filesNew: number | null;
  filesChanged: number | null;
  filesUnmodified: number | null;
  dataAdded: number | null;
  totalFilesProcessed: number | null;
  totalBytesProcessed: number | null;
  totalDuration: number | null;
  snapshotId: string | null;
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export function readBackupStats(raw: Record<string, unknown> | null | undefined): BackupStats | null {
  if (!raw || Object.keys(raw).length === 0) return null;
  const pick = (key: string) => raw[key] ?? raw[snake(key)];
  const id = pick("snapshotId");
  return {
    filesNew: num(pick("filesNew")),
    filesChanged: num(pick("filesChanged")),
    filesUnmodified: num(pick("filesUnmodified")),
    dataAdded: num(pick("dataAdded")),
    totalFilesProcessed: num(pick("totalFilesProcessed")),
    totalBytesProcessed: num(pick("totalBytesProcessed")),
    totalDuration: num(pick("totalDuration")),
    snapshotId: typeof id === "string" && id ? id : null,
  };
}
