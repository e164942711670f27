import type { JobKind } from "@restic-manager/protocol";
import type { ServerHandler } from "../context.js";
import { runBackupJob } from "../jobs/backup.js";
import { runCheckJob } from "../jobs/check.js";
import { runForgetJob } from "../jobs/forget.js";
import { runInitJob } from "../jobs/init.js";
import { runPruneJob } from "../jobs/prune.js";
import { type JobRunner, refuseJob } from "../jobs/runner.js";
import { runUnlockJob } from "../jobs/unlock.js";

/** One entry per job kind this agent can run. A kind missing here fails fast with a clear error. */
export const jobRunners: { [K in JobKind]?: JobRunner<K> } = {
  init: runInitJob,
  backup: runBackupJob,
  forget: runForgetJob,
  prune: runPruneJob,
  check: runCheckJob,
  unlock: runUnlockJob,
};

export const handleCommandRun: ServerHandler<"command.run"> = async (payload, ctx) => {
  if (ctx.runningJobs.has(payload.jobId)) {
    ctx.log.warn(`job ${payload.jobId} is already running; ignored the duplicate command.run`);
    return;
  }
  if (ctx.outbox.stream(payload.jobId)) {
    ctx.log.warn(`job ${payload.jobId} already ran on this agent; ignored the repeated command.run`);
    return;
  }
  const runner = jobRunners[payload.kind] as JobRunner | undefined;
  if (!runner) {
    ctx.log.warn(`cannot run ${payload.kind} job ${payload.jobId}: not supported by agent ${ctx.agentVersion}`);
    refuseJob(ctx, payload.jobId, `agent ${ctx.agentVersion} cannot run ${payload.kind} jobs yet; upgrade the agent`);
    return;
  }
  // The server runs one job per host at a time; this is the agent's own fence against overlap.
  const [runningId, running] = [...ctx.runningJobs.entries()][0] ?? [];
  if (runningId && running) {
    ctx.log.warn(`refused ${payload.kind} job ${payload.jobId}: ${running.kind} job ${runningId} is running`);
    refuseJob(
      ctx,
      payload.jobId,
      `this host is already running a ${running.kind} job (${runningId}); the agent runs one job at a time`,
    );
    return;
  }
  await runner(payload, ctx);
};
