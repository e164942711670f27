import type { Core } from "@restic-manager/core";
import type { Logger } from "pino";

/** Time-based alert rules (offline, RPO, stale lock) and re-notification are evaluated this often. */
export const ALERT_TICK_MS = 30_000;

/**
 * Starts the notification delivery queue and the alerts ticker. Job-based rules need no ticker:
 * the evaluator reacts to domain events as they happen. A pass is awaited before the next is
 * armed, so a slow pass never overlaps itself.
 */
export function startAlertsTicker(core: Core, logger: Logger, everyMs = ALERT_TICK_MS) {
  const log = logger.child({ component: "alerts" });
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let reported: unknown = null;
  core.alertDelivery.start().catch((e) => log.error({ err: e }, "could not start the notification queue"));
  const run = async () => {
    try {
      const { opened, resolved, renotified } = await core.alertEvaluator.tick();
      if (opened || resolved || renotified) log.info({ opened, resolved, renotified }, "alerts pass");
    } catch (e) {
      log.error({ err: e }, "alerts pass failed");
    }
    // Event handlers run inside core, which has no logger: report their last failure here once.
    const failure = core.alertEvaluator.lastError;
    if (failure && failure !== reported) {
      reported = failure;
      log.error({ err: failure }, "evaluating an alert rule on a domain event failed");
    }
    if (!stopped) timer = setTimeout(run, everyMs).unref();
  };
  timer = setTimeout(run, everyMs).unref();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      core.alertDelivery.stop();
      await core.alertEvaluator.settled();
      await core.alertDelivery.idle();
    },
  };
}
