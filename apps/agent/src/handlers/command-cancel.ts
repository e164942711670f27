import { createAgentMessage } from "@restic-manager/protocol";
import type { ServerHandler } from "./context.js";

/** `command.cancel`: stops a running job; the job itself reports `job.finished` (cancelled). */
export const handleCommandCancel: ServerHandler<"command.cancel"> = ({ jobId }, ctx) => {
  const job = ctx.runningJobs.get(jobId);
  if (!job) {
    ctx.send(createAgentMessage("error", { code: "unknown_job", message: `no running job ${jobId} to cancel` }));
    return;
  }
  ctx.log.info(`cancelling ${job.kind} job ${jobId}`);
  job.cancel();
};
