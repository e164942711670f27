/**
 * The `init` job: `restic init`. A repository that already exists counts as success (the server
 * runs init on every host's first connection, and hosts may share or reattach repositories), as
 * long as the password opens it.
 */
import { parseJsonObject, stripAnsi } from "../restic/common.js";
import { describeInitLine, initArgs, isAlreadyInitialised } from "../restic/init.js";
import { reportRepository } from "./report.js";
import { failureReason, type JobRunner, runJob } from "./runner.js";

const WRONG_PASSWORD = /wrong password|no key found/i;

export const runInitJob: JobRunner<"init"> = (command, ctx) =>
  runJob(command, ctx, async (run) => {
    run.system(`restic ${run.resticVersion ?? "(unknown version)"}: initialising the repository`);
    const stderr: string[] = [];
    let fatal: string | null = null;
    const proc = run.spawn(initArgs(), {
      onStdoutLine: (raw) => {
        const line = describeInitLine(stripAnsi(raw)).trimEnd();
        if (line.trim()) run.line("stdout", line);
      },
      onStderrLine: (raw) => {
        const json = parseJsonObject(raw);
        let line = stripAnsi(raw).trimEnd();
        if (json?.message_type === "exit_error" && typeof json.message === "string") {
          fatal = json.message.replace(/^Fatal: /, "");
          line = `Fatal: ${fatal}`;
        } else if (line.startsWith("Fatal: ")) fatal = line.slice("Fatal: ".length);
        if (!line.trim()) return;
        stderr.push(line);
        if (stderr.length > 50) stderr.shift();
        run.line("stderr", line);
      },
    });
    const exit = await proc.done;
    const code = exit.exitCode;

    if (run.cancelled && code !== 0) {
      return { status: "cancelled", exitCode: code, error: "Cancelled: restic init was stopped.", summary: null };
    }
    if (code === 0) {
      await reportRepository(run, ctx);
      return { status: "succeeded", exitCode: code, error: null, summary: null };
    }
    if (!exit.spawnError && isAlreadyInitialised(stderr.join("\n"))) {
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
    return { status: "failed", exitCode: code, error: failureReason(exit, fatal, stderr), summary: null };
  });
