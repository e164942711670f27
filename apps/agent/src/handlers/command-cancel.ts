import { createAgentMessage } from "@restic-manager/protocol";
import type { ServerHandler } from "../context.js";

/**
 * `command.cancel`: stops a running job; the job itself reports `job.finished` (cancelled). A job
 * this agent is not running gets no job.finished: the server marks such orphans itself (the next
 * heartbeat does not list it). The agent logs it and tells the server with an `error`.
 */
export const handleCommandCancel: ServerHandler<"command.cancel"> = ({ jobId }, ctx) => {
  const job = ctx.runningJobs.get(jobId);
  if (!job) {
    ctx.log.warn(`asked to cancel job ${jobId}, which this agent is not running`);
    ctx.send(createAgentMessage("error", { code: "unknown_job", message: `no running job ${jobId} to cancel` }));
    return;
  }
  ctx.log.info(`cancelling ${job.kind} job ${jobId}`);
  job.cancel();
};
