/**
 * The `init` job: `restic init`. A repository that already exists counts as success (the server
 * runs init on every host's first connection, and hosts may share or reattach repositories), as
 * long as the password opens it.
 */
import { describeInitLine, initArgs, isAlreadyInitialised } from "../restic/init.js";
import { reportRepository } from "./report.js";
import { type JobRunner, runJob } from "./runner.js";

const WRONG_PASSWORD = /wrong password|no key found/i;

export const runInitJob: JobRunner<"init"> = (command, ctx) =>
  runJob(command, ctx, async (run) => {
    run.system(`restic ${run.resticVersion ?? "(unknown version)"}: initialising the repository`);
    const { exit, reason, stderrTail } = await run.runStreamed(initArgs(), {
      record: false,
      describeStdout: describeInitLine,
    });
    const code = exit.exitCode;

    if (run.cancelled && code !== 0) {
      return { status: "cancelled", exitCode: code, error: "Cancelled: restic init was stopped.", summary: null };
    }
    if (code === 0) {
      await reportRepository(run, ctx);
      return { status: "succeeded", exitCode: code, error: null, summary: null };
    }
    if (!exit.spawnError && isAlreadyInitialised(stderrTail.join("\n"))) {
      run.system("the repository is already initialised: nothing to do");
      const report = await reportRepository(run, ctx);
      if (report.listError && WRONG_PASSWORD.test(report.listError)) {
        return {
          status: "failed",
          exitCode: code,
          error: `the repository exists, but the password the server holds does not open it: ${report.listError}`,
          summary: null,
        };
      }
      return { status: "succeeded", exitCode: code, error: null, summary: null };
    }
    return { status: "failed", exitCode: code, error: reason, summary: null };
  });
