// Preloaded into the console under test (`node --import bench/probe.mjs apps/server/dist/main.js`):
// measures event-loop delay with perf_hooks and appends one JSON line per interval to
// RM_BENCH_PROBE_FILE: {"at": epoch ms, "maxMs", "p99Ms", "meanMs"}. No server code changes.
import { appendFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";

const setting = (name) => process.env[name];
const file = setting("RM_BENCH_PROBE_FILE");
if (file) {
  const intervalMs = Number(setting("RM_BENCH_PROBE_INTERVAL_MS") ?? 250);
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const flush = () => {
    if (h.count === 0) return;
    const line = {
      at: Date.now(),
      pid: process.pid,
      maxMs: h.max / 1e6,
      p99Ms: h.percentile(99) / 1e6,
      meanMs: h.mean / 1e6,
    };
    h.reset();
    try {
      appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
      // the bench went away
    }
  };
  setInterval(flush, intervalMs).unref();
  process.on("exit", flush);
}
