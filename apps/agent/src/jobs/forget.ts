/**
 * The `forget` job: `restic forget --json` with the source group's retention, limited to the
 * group's tags so no other group's snapshots are touched; `--prune` when asked. Each removed
 * snapshot becomes a log line; the summary counts kept and removed. Then the snapshot listing and
 * repository size, like after a backup.
 */
import { stripAnsi } from "../restic/common.js";
import {
  describeRemoved,
  type ForgetGroup,
  forgetArgs,
  hasKeepRule,
  parseForgetLine,
  summarizeForget,
} from "../restic/forget.js";
import { reportRepository } from "./report.js";
import { failureReason, type JobRunner, runJob } from "./runner.js";

/** restic's forget report is collected whole; this bounds it (~500 bytes a snapshot). */
const MAX_FORGET_STDOUT = 256 * 1024 * 1024;

export const runForgetJob: JobRunner<"forget"> = (command, ctx) =>
  runJob(command, ctx, async (run) => {
    const { params } = command;
    run.system(
      `restic ${run.resticVersion ?? "(unknown version)"}: forgetting snapshots${
        params.tags.length > 0 ? ` tagged ${params.tags.join(", ")}` : " of every group (no tag filter)"
      }${params.prune ? ", then pruning" : ""}`,
    );
    if (!hasKeepRule(params)) {
      const error = "forget needs at least one keep rule (keep last/hourly/daily/weekly/monthly/yearly or within)";
      run.system(error);
      return { status: "failed", exitCode: null, error, summary: null };
    }
    let groups: ForgetGroup[] | null = null;
    const stderr: string[] = [];
    let fatal: string | null = null;
    let firstLine = true;
    const proc = run.spawn(forgetArgs(params), {
      record: true,
      // The JSON line lists every snapshot considered and can exceed the line splitter's 1 MiB
      // bound: it is parsed from the collected stdout, and only the other lines are logged.
      collectStdoutBytes: MAX_FORGET_STDOUT,
      onStdoutLine: (raw) => {
        if (firstLine) {
          firstLine = false;
          if (raw.trimStart().startsWith("[")) return;
        }
        const line = stripAnsi(raw).trimEnd();
        if (line.trim()) run.line("stdout", line);
      },
      onStderrLine: (raw) => {
        const line = stripAnsi(raw).trimEnd();
        if (!line.trim()) return;
        if (line.startsWith("Fatal: ")) fatal = line.slice("Fatal: ".length);
        stderr.push(line);
        if (stderr.length > 50) stderr.shift();
        run.line("stderr", line);
      },
    });
    const exit = await proc.done;
    const code = exit.exitCode;
    try {
      groups = parseForgetLine(proc.stdout().split("\n", 1)[0] ?? "");
    } catch (error) {
      run.system(`could not read restic's forget report: ${(error as Error).message}`);
    }
    if (groups === null && code === 0) run.system("restic printed no forget report: kept and removed are unknown");
    const result = groups === null ? null : summarizeForget(groups);
    if (result) {
      for (const snapshot of result.removedSnapshots) run.line("stdout", describeRemoved(snapshot));
      run.system(
        `kept ${result.kept} snapshot${result.kept === 1 ? "" : "s"}, removed ${result.removed} (${result.groups} group${result.groups === 1 ? "" : "s"})`,
      );
    }
    if (run.cancelled && code !== 0) {
      return { status: "cancelled", exitCode: code, error: "Cancelled: restic forget was stopped.", summary: null };
    }
    if (code !== 0) {
      // The snapshots may be gone even though a following prune failed: report what is left.
      if (result && result.removed > 0) await reportRepository(run, ctx);
      return { status: "failed", exitCode: code, error: failureReason(exit, fatal, stderr), summary: null };
    }
    await reportRepository(run, ctx);
    return {
      status: "succeeded",
      exitCode: code,
      error: null,
      summary: {
        snapshotsKept: result?.kept ?? null,
        snapshotsRemoved: result?.removed ?? null,
        groups: result?.groups ?? null,
        pruned: params.prune,
      },
    };
  });
