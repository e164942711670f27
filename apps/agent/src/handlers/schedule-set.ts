import { createAgentMessage } from "@restic-manager/protocol";
import type { AgentContext, ServerHandler } from "../context.js";
import { type ScheduleFire, saveScheduleSet, schedulesFileFor } from "../scheduler.js";

/**
 * `schedule.set`: the host's complete schedule set. It is stored (so a restarted agent keeps
 * firing before it reconnects), replaces whatever was armed, and is acked with its version and,
 * when a schedule could not be armed or the set not stored, the reason. Like config.update, the
 * server is the source of truth: whatever it sends replaces what is armed, whatever the version.
 */
export const handleScheduleSet: ServerHandler<"schedule.set"> = (set, ctx) => {
  const problems: string[] = [];
  const path = schedulesFileFor(ctx.stateDir);
  let stored = true;
  try {
    saveScheduleSet(path, set);
  } catch (error) {
    stored = false;
    const reason = `cannot store the schedules in ${path}: ${(error as Error).message}`;
    ctx.log.error(reason);
    problems.push(reason);
  }
  const { error } = ctx.scheduler.apply(set);
  if (error) problems.unshift(error);
  if (!stored) problems.push("a restarted agent arms nothing until the console sends the schedules again");
  ctx.send(
    createAgentMessage("schedule.ack", { version: set.version, error: problems.join("; ").slice(0, 1024) || null }),
  );
};

/**
 * A slot of an armed schedule came: ask the server to run it. The server creates the backup
 * jobs (and sends command.run); the agent never starts a backup from a fire. Without a session
 * the fire is dropped, not spooled: the server counts missed slots itself and queues a catch-up.
 */
export function reportScheduleFire(fire: ScheduleFire, ctx: Pick<AgentContext, "send" | "log">): boolean {
  const slot = new Date(fire.slotAt).toISOString();
  if (ctx.send(createAgentMessage("schedule.fire", fire))) {
    ctx.log.info(`schedule ${fire.scheduleId} slot ${slot} fired; asked the console to run it`);
    return true;
  }
  ctx.log.info(
    `schedule ${fire.scheduleId} slot ${slot} fired while the console is unreachable; the console queues a catch-up run`,
  );
  return false;
}
