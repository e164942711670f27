/**
 * The `backup` job: the pre-hook, `restic backup --json -v`, the snapshot listing and repository
 * size, then the post-hook. A failing pre-hook aborts the backup (restic never runs); the
 * post-hook always runs, told the outcome in RM_JOB_STATUS, and cannot change it.
 */

import type { CommandRunPayload } from "@restic-manager/protocol";
import type { AgentContext } from "../context.js";
import { BackupOutput, backupArgs, toJobSummary } from "../restic/backup.js";
import { describeHookFailure, hookEnv, runHook } from "./hooks.js";
import { reportRepository } from "./report.js";
import { failureReason, type JobOutcome, type JobRun, type JobRunner, runJob } from "./runner.js";

type BackupCommand = Extract<CommandRunPayload, { kind: "backup" }>;

export const runBackupJob: JobRunner<"backup"> = (command, ctx) =>
  runJob(command, ctx, async (run) => {
    const { paths, excludes } = command.params;
    run.system(
      `restic ${run.resticVersion ?? "(unknown version)"}: backing up ${paths.join(", ")}${
        excludes.length > 0 ? `, excluding ${excludes.join(", ")}` : ""
      }`,
    );
    const hooks = command.params.hooks ?? null;
    const vars = {
      RM_JOB_ID: command.jobId,
      RM_JOB_KIND: "backup",
      RM_SOURCE_GROUP: command.params.sourceGroupId ?? "",
      RM_TAGS: command.params.tags.join(","),
    };
    let outcome: JobOutcome | null = null;
    if (hooks?.pre) {
      const result = await runHook(run, {
        name: "pre",
        script: hooks.pre,
        timeoutSeconds: hooks.timeoutSeconds,
        env: hookEnv(vars),
      });
      const failure = describeHookFailure("pre", result, hooks.timeoutSeconds);
      if (failure) {
        run.system(`${failure}: the backup was not started`);
        outcome = {
          status: result.cancelled || run.cancelled ? "cancelled" : "failed",
          exitCode: null,
          error: `${failure}, so the backup was not started`,
          summary: null,
        };
      } else run.system("pre-hook succeeded");
    }
    if (!outcome && run.cancelled) {
      outcome = { status: "cancelled", exitCode: null, error: "Cancelled before restic started.", summary: null };
    }
    outcome ??= await backup(command, ctx, run);
    if (hooks?.post) {
      const status = outcome.status === "succeeded" ? "succeeded" : "failed";
      const result = await runHook(run, {
        name: "post",
        script: hooks.post,
        timeoutSeconds: hooks.timeoutSeconds,
        env: hookEnv({ ...vars, RM_JOB_STATUS: status }),
      });
      const failure = describeHookFailure("post", result, hooks.timeoutSeconds);
      run.system(failure ? `${failure}; the backup stays ${outcome.status}` : "post-hook succeeded");
    }
    return outcome;
  });

async function backup(command: BackupCommand, ctx: AgentContext, run: JobRun): Promise<JobOutcome> {
  {
    const output = new BackupOutput({
      onProgress: (progress) => run.progress(progress),
      onLine: (stream, line) => run.line(stream, line),
    });
    const proc = run.spawn(backupArgs(command.params), {
      record: true,
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
  }
}
