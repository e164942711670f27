import type { ServerHandler } from "./context.js";

/**
 * `job.ack`: the server stored a job's events up to `seq`. The on-disk spool that replays unacked
 * events after a reconnect drops them here once it exists; until then there is nothing to free.
 */
export const handleJobAck: ServerHandler<"job.ack"> = ({ jobId, seq }, ctx) => {
  ctx.log.debug(`job ${jobId} acked up to seq ${seq}`);
};
