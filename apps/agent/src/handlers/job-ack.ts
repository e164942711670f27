import type { ServerHandler } from "../context.js";

/** `job.ack`: the server stored the job's events up to `seq`; the outbox forgets them (cumulative). */
export const handleJobAck: ServerHandler<"job.ack"> = ({ jobId, seq }, ctx) => {
  ctx.outbox.ack(jobId, seq);
};
