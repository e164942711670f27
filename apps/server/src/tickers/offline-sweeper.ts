import type { Core } from "@restic-manager/core";
import { OFFLINE_AFTER_MS } from "@restic-manager/protocol";
import type { Logger } from "pino";

/** Marks hosts offline once they have been silent for OFFLINE_AFTER_MS (three missed heartbeats). */
export function startOfflineSweeper(core: Core, logger: Logger, offlineAfterMs = OFFLINE_AFTER_MS) {
  const log = logger.child({ component: "offline-sweeper" });
  const tick = async () => {
    try {
      const changed = await core.hosts.sweepOffline(offlineAfterMs);
      if (changed.length) log.info({ hosts: changed.length }, "marked silent hosts offline");
    } catch (e) {
      log.error({ err: e }, "offline sweep failed");
    }
  };
  const timer = setInterval(tick, Math.max(1000, Math.min(15_000, offlineAfterMs / 6)));
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
