import type { Core } from "@restic-manager/core";
import { OFFLINE_AFTER_MS } from "@restic-manager/protocol";
import type { Logger } from "pino";

/** How long a job survives its agent being away before it is marked interrupted. */
export const JOB_LEASE_MS = 10 * 60 * 1000;

/**
 * Marks hosts offline once they have been silent for OFFLINE_AFTER_MS (three missed heartbeats),
 * and interrupts jobs whose agent stayed away past the job lease.
 */
export function startOfflineSweeper(
  core: Core,
  logger: Logger,
  offlineAfterMs = OFFLINE_AFTER_MS,
  jobLeaseMs = JOB_LEASE_MS,
) {
  const log = logger.child({ component: "offline-sweeper" });
  const tick = async () => {
    try {
      const changed = await core.hosts.sweepOffline(offlineAfterMs);
      if (changed.length) log.info({ hosts: changed.length }, "marked silent hosts offline");
      const interrupted = await core.jobEvents.sweepLeases(jobLeaseMs);
      if (interrupted) log.warn({ jobs: interrupted }, "interrupted jobs whose agent stayed away past the lease");
    } catch (e) {
      log.error({ err: e }, "offline sweep failed");
    }
  };
  const timer = setInterval(tick, Math.max(1000, Math.min(15_000, offlineAfterMs / 6)));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
