/**
 * The `check` job: `restic check [--read-data-subset X]`, output streamed. A non-zero exit is a
 * failed job carrying restic's own message (a damaged pack, a missing index, ...).
 */
import { checkArgs } from "../restic/check.js";
import { type JobRunner, runJob } from "./runner.js";

export const runCheckJob: JobRunner<"check"> = (command, ctx) =>
  runJob(command, ctx, async (run) => {
    const subset = command.params.readDataSubset;
    run.system(
      `restic ${run.resticVersion ?? "(unknown version)"}: checking the repository${
        subset === null ? " (structure only, no pack data read)" : `, reading ${subset} of the pack data`
      }`,
    );
    const { exit, reason, stderrHead } = await run.runStreamed(checkArgs(command.params));
    const code = exit.exitCode;
    if (run.cancelled && code !== 0) {
      return { status: "cancelled", exitCode: code, error: "Cancelled: restic check was stopped.", summary: null };
    }
    if (code !== 0) {
      // "repository contains errors" alone says little: add the first things restic found.
      const details = stderrHead.filter((l) => !l.startsWith("Fatal: ") && l.trim() !== "").slice(0, 3);
      const error = details.length > 0 ? `${reason}: ${details.map((l) => l.trim()).join(" | ")}` : reason;
      return { status: "failed", exitCode: code, error, summary: null };
    }
    return { status: "succeeded", exitCode: code, error: null, summary: { readDataSubset: subset } };
  });
