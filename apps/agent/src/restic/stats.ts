/**
 * `restic stats --json --mode raw-data --no-lock`: one JSON object. `total_uncompressed_size`
 * and the compression fields only appear from restic 0.15 on (and only mean something for
 * repository format v2); `snapshots_count` may be omitted when zero.
 */
import type { AgentPayload } from "@restic-manager/protocol";
import { z } from "zod";

export const statsArgs = (): string[] => ["stats", "--json", "--mode", "raw-data", "--no-lock"];

const size = z.number().nonnegative();
export const ZResticStats = z.object({
  total_size: size.default(0),
  total_uncompressed_size: size.optional(),
  total_file_count: size.optional(),
  total_blob_count: size.optional(),
  snapshots_count: size.optional(),
  compression_ratio: z.number().optional(),
  compression_progress: z.number().optional(),
  compression_space_saving: z.number().optional(),
});
export type ResticStats = z.infer<typeof ZResticStats>;

export function parseStatsOutput(stdout: string): ResticStats {
  const text = stdout.trim();
  const lastLine = text.slice(text.lastIndexOf("\n{") + 1);
  for (const candidate of [text, lastLine]) {
    try {
      const parsed = ZResticStats.safeParse(JSON.parse(candidate));
      if (parsed.success) return parsed.data;
    } catch {
      // next candidate
    }
  }
  throw new Error(`restic stats printed no statistics: ${text.slice(0, 200) || "(nothing)"}`);
}

const whole = (n: number) => Math.min(Number.MAX_SAFE_INTEGER, Math.floor(n));

export function toRepoStats(stats: ResticStats, at = Date.now()): AgentPayload<"repo.stats"> {
  return {
    at,
    totalSizeBytes: whole(stats.total_size),
    totalUncompressedSizeBytes:
      stats.total_uncompressed_size !== undefined ? whole(stats.total_uncompressed_size) : null,
    snapshotsCount: stats.snapshots_count !== undefined ? whole(stats.snapshots_count) : null,
  };
}
