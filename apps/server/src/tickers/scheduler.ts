import type { Core } from "@restic-manager/core";
import type { Logger } from "pino";

/** Pending runs are drained, and missed slots accounted, this often (the agent fires on time itself). */
export const SCHEDULE_TICK_MS = 30_000;
/** Maintenance cadences are checked this often; a cadence finer than this runs at tick resolution. */
export const MAINTENANCE_TICK_MS = 30_000;

/**
 * The server's two schedule loops: missed-slot accounting + the pending-runs queue, and the
 * repository maintenance ticker. Each pass is awaited before the next is armed, so a slow pass
 * (thousands of hosts) never overlaps itself.
 */
export function startSchedulers(
  core: Core,
  logger: Logger,
  intervals: { scheduleMs?: number; maintenanceMs?: number } = {},
) {
  const log = logger.child({ component: "scheduler" });
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;
  const loop = (name: string, everyMs: number, pass: () => Promise<void>) => {
    const run = async () => {
      try {
        await pass();
      } catch (e) {
        log.error({ err: e, loop: name }, "scheduler pass failed");
      }
      if (!stopped) timers.push(setTimeout(run, everyMs).unref());
    };
    timers.push(setTimeout(run, everyMs).unref());
  };
  loop("pending-runs", intervals.scheduleMs ?? SCHEDULE_TICK_MS, async () => {
    const queued = await core.schedules.account();
    if (queued) log.info({ queued }, "missed schedule slots queued as catch-up runs");
    const { started, abandoned } = await core.schedules.drainPending();
    if (started || abandoned) log.info({ started, abandoned }, "pending runs drained");
  });
  loop("maintenance", intervals.maintenanceMs ?? MAINTENANCE_TICK_MS, async () => {
    const { dispatched, skippedBusy } = await core.maintenance.tick();
    if (dispatched || skippedBusy) log.info({ dispatched, skippedBusy }, "maintenance pass");
  });
  return {
    stop: () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
    },
  };
}
