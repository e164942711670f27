/** The `backup` job: `restic backup --json -v`, then the snapshot listing and repository size. */

import type { JobRunner } from "../handlers/command-run.js";
import { BackupOutput, backupArgs, toJobSummary } from "../restic/backup.js";
import { reportRepository } from "./report.js";
import { failureReason, runJob } from "./runner.js";

export const runBackupJob: JobRunner<"backup"> = (command, ctx) =>
  runJob(command, ctx, async (run) => {
    const { paths, excludes } = command.params;
    run.system(
      `restic ${run.resticVersion ?? "(unknown version)"}: backing up ${paths.join(", ")}${
        excludes.length > 0 ? `, excluding ${excludes.join(", ")}` : ""
      }`,
    );
    const output = new BackupOutput({
      onProgress: (progress) => run.progress(progress),
      onLine: (stream, line) => run.line(stream, line),
    });
    const proc = run.spawn(backupArgs(command.params), {
      onStdoutLine: (line) => output.stdout(line),
      onStderrLine: (line) => output.stderr(line),
    });
    const exit = await proc.done;
    output.finish();
    const code = exit.exitCode;
    const summary = output.summary;
    const saved = summary !== null && (code === 0 || code === 3);

    if (run.cancelled && !saved) {
      return {
        status: "cancelled",
        exitCode: code,
        error: "Cancelled: restic was stopped before it saved a snapshot.",
        summary: null,
      };
    }
    if (!saved) {
      const error =
        code === 0 || code === 3
          ? `restic exited with code ${code} but reported no summary`
          : failureReason(exit, output.fatal, output.lastStderr);
      return { status: "failed", exitCode: code, error, summary: null };
    }
    if (run.cancelled) run.system("the cancel came after restic had saved the snapshot: the backup succeeded");
    if (code === 3) {
      run.system(
        `restic could not read ${output.errorCount || "some"} source file${output.errorCount === 1 ? "" : "s"} (exit code 3): the snapshot was saved without ${output.errorCount === 1 ? "it" : "them"}; see the errors above`,
      );
    }
    const report = await reportRepository(run, ctx, { shortId: summary.snapshot_id ?? null });
    return {
      status: "succeeded",
      exitCode: code,
      error: null,
      summary: toJobSummary(summary, { snapshotId: report.snapshotId, errorCount: output.errorCount }),
    };
  });
