/**
 * After a successful backup or init: `restic snapshots` -> `snapshots.report` (in parts under
 * MAX_FRAME_BYTES) and `restic stats --mode raw-data` -> `repo.stats`. Runs before
 * `job.finished`, so the server has the new snapshot by the time it shows the job succeeded, and
 * the next job cannot start while these restic calls still hold the repository. A failure here
 * is a system log line, not a failed job.
 */
import { randomUUID } from "node:crypto";
import { createAgentMessage } from "@restic-manager/protocol";
import type { AgentContext } from "../context.js";
import { formatBytes, parseJsonObject, stripAnsi } from "../restic/common.js";
import { parseSnapshotsOutput, snapshotsArgs, splitSnapshotsReport, toProtocolSnapshot } from "../restic/snapshots.js";
import { parseStatsOutput, statsArgs, toRepoStats } from "../restic/stats.js";
import type { JobRun } from "./runner.js";

export interface RepositoryReport {
  /** The full id of the snapshot whose short id was given, when the listing has it. */
  snapshotId: string | null;
  /** Why the listing failed; null when it was reported. */
  listError: string | null;
}

/** restic's reason from a failed call's stderr (JSON exit_error, "Fatal: ..." or the last line). */
function stderrReason(lines: string[], exitCode: number | null): string {
  for (let i = lines.length - 1; i >= 0; i--) {
    const json = parseJsonObject(lines[i]!);
    if (json?.message_type === "exit_error" && typeof json.message === "string") return json.message;
  }
  const fatal = lines.findLast((l) => l.startsWith("Fatal: "));
  if (fatal) return fatal.slice("Fatal: ".length);
  return lines.findLast((l) => l.trim().length > 0) ?? `restic exited with code ${exitCode}`;
}

export async function reportRepository(
  run: JobRun,
  ctx: AgentContext,
  options: { shortId?: string | null } = {},
): Promise<RepositoryReport> {
  const report: RepositoryReport = { snapshotId: null, listError: null };
  if (run.cancelled) return report;

  const listStderr: string[] = [];
  try {
    const { exit, stdout } = await run.collect(snapshotsArgs(), (line) => {
      listStderr.push(stripAnsi(line));
      if (listStderr.length > 20) listStderr.shift();
    });
    if (exit.exitCode !== 0) {
      report.listError = exit.spawnError?.message ?? stderrReason(listStderr, exit.exitCode);
      run.system(`could not list the snapshots for the server: ${report.listError}`);
    } else {
      const raw = parseSnapshotsOutput(stdout());
      const snapshots = [];
      let skipped = 0;
      for (const entry of raw) {
        const converted = toProtocolSnapshot(entry);
        if (converted.ok) snapshots.push(converted.snapshot);
        else if (skipped++ < 5) run.system(`skipped a snapshot the server cannot store: ${converted.reason}`);
      }
      const parts = splitSnapshotsReport(snapshots, randomUUID());
      const delivered = ctx.outbox.sendOrKeep(
        "snapshots.report",
        parts.map((part) => createAgentMessage("snapshots.report", part)),
      );
      run.system(
        `${delivered ? "reported" : "will report"} ${snapshots.length} snapshot${snapshots.length === 1 ? "" : "s"} to the server${delivered ? "" : " once it is reachable"}${skipped ? ` (${skipped} skipped)` : ""}`,
      );
      const short = options.shortId;
      if (short) report.snapshotId = snapshots.find((s) => s.id.startsWith(short))?.id ?? null;
    }
  } catch (error) {
    report.listError = (error as Error).message;
    run.system(`could not list the snapshots for the server: ${report.listError}`);
  }

  if (run.cancelled) return report;
  const statsStderr: string[] = [];
  try {
    const { exit, stdout } = await run.collect(statsArgs(), (line) => {
      statsStderr.push(stripAnsi(line));
      if (statsStderr.length > 20) statsStderr.shift();
    });
    if (exit.exitCode !== 0) {
      run.system(
        `could not read the repository size: ${exit.spawnError?.message ?? stderrReason(statsStderr, exit.exitCode)}`,
      );
    } else {
      const stats = toRepoStats(parseStatsOutput(stdout()));
      ctx.outbox.sendOrKeep("repo.stats", [createAgentMessage("repo.stats", stats)]);
      const uncompressed =
        stats.totalUncompressedSizeBytes !== null && stats.totalUncompressedSizeBytes !== stats.totalSizeBytes
          ? ` (${formatBytes(stats.totalUncompressedSizeBytes)} uncompressed)`
          : "";
      run.system(`repository size: ${formatBytes(stats.totalSizeBytes)}${uncompressed}`);
    }
  } catch (error) {
    run.system(`could not read the repository size: ${(error as Error).message}`);
  }
  return report;
}
