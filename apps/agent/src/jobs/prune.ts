/**
 * The `prune` job: `restic prune [--max-unused X]`, output streamed. With `adminRepository` the
 * whole job (prune and the listing after it) runs with that credential, kept in memory only (see
 * prepareRestic in runner.ts). Then the snapshot listing and repository size.
 */
import { pruneArgs } from "../restic/prune.js";
import { reportRepository } from "./report.js";
import { type JobRunner, runJob } from "./runner.js";

export const runPruneJob: JobRunner<"prune"> = (command, ctx) =>
  runJob(command, ctx, async (run) => {
    run.system(
      `restic ${run.resticVersion ?? "(unknown version)"}: pruning the repository${
        command.adminRepository ? " with the admin credential" : ""
      }`,
    );
    const { exit, reason } = await run.runStreamed(pruneArgs(command.params));
    const code = exit.exitCode;
    if (run.cancelled && code !== 0) {
      return { status: "cancelled", exitCode: code, error: "Cancelled: restic prune was stopped.", summary: null };
    }
    if (code !== 0) return { status: "failed", exitCode: code, error: reason, summary: null };
    await reportRepository(run, ctx);
    return { status: "succeeded", exitCode: code, error: null, summary: null };
  });
