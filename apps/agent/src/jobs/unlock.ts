/**
 * The `unlock` job: `restic unlock` removes stale locks only (left by a restic that died);
 * `--remove-all` (params.removeAll) also removes the locks of restics that may still run.
 */
import { unlockArgs } from "../restic/unlock.js";
import { type JobRunner, runJob } from "./runner.js";

export const runUnlockJob: JobRunner<"unlock"> = (command, ctx) =>
  runJob(command, ctx, async (run) => {
    run.system(
      `restic ${run.resticVersion ?? "(unknown version)"}: ${
        command.params.removeAll ? "removing ALL locks, also those of running restics" : "removing stale locks"
      }`,
    );
    const { exit, reason } = await run.runStreamed(unlockArgs(command.params));
    const code = exit.exitCode;
    if (run.cancelled && code !== 0) {
      return { status: "cancelled", exitCode: code, error: "Cancelled: restic unlock was stopped.", summary: null };
    }
    if (code !== 0) return { status: "failed", exitCode: code, error: reason, summary: null };
    return { status: "succeeded", exitCode: code, error: null, summary: { removeAll: command.params.removeAll } };
  });
