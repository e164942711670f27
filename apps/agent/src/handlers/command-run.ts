import { type CommandRunPayload, createAgentMessage, type JobKind } from "@restic-manager/protocol";
import type { AgentContext, ServerHandler } from "./context.js";

/**
 * Runs one job kind: spawns restic (see ../restic/), reports job.started / progress / log.stream /
 * job.finished through `ctx.send`, and resolves when restic has exited.
 */
export type JobRunner<K extends JobKind = JobKind> = (
  command: Extract<CommandRunPayload, { kind: K }>,
  ctx: AgentContext,
) => Promise<void>;

/** One entry per job kind this agent can run. A kind missing here fails fast with a clear error. */
export const jobRunners: { [K in JobKind]?: JobRunner<K> } = {};

export const handleCommandRun: ServerHandler<"command.run"> = async (payload, ctx) => {
  if (ctx.runningJobs.has(payload.jobId)) {
    ctx.log.warn(`job ${payload.jobId} is already running; ignored the duplicate command.run`);
    return;
  }
  const runner = jobRunners[payload.kind] as JobRunner | undefined;
  if (!runner) {
    ctx.log.warn(`cannot run ${payload.kind} job ${payload.jobId}: not supported by agent ${ctx.agentVersion}`);
    ctx.send(
      createAgentMessage("job.finished", {
        jobId: payload.jobId,
        seq: 1,
        at: Date.now(),
        status: "failed",
        exitCode: null,
        error: `agent ${ctx.agentVersion} cannot run ${payload.kind} jobs yet; upgrade the agent`,
        summary: null,
      }),
    );
    return;
  }
  await runner(payload, ctx);
};
