/**
 * One-off measurement (seed of benchmarks B1/B2): starts the built console on a temp data dir,
 * enrols N simulated agents, connects them, kills the console with SIGKILL, starts it again on
 * the same port and data dir, and reports how long until every agent is back.
 *   node --import tsx packages/fleet-sim/src/restart-probe.ts [N] [--seeded]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setupAdmin, startConsole, waitFor } from "@restic-manager/testkit";
import { enrollFleet } from "./enroll.js";
import { checkFdLimit } from "./limits.js";
import { seedDatabase } from "./seed.js";
import { FleetSimulator, type SimIdentity } from "./simulator.js";

/** `seeded`: hosts and their agent tokens are written by the data generator instead of enrolled. */
export async function restartProbe(n: number, options: { seeded?: boolean } = {}) {
  const fd = checkFdLimit(n);
  if (!fd.ok) throw new Error(fd.canRaise ? `raise the soft fd limit to ${fd.want} (ulimit -n ${fd.want})` : fd.advice);
  const dataDir = mkdtempSync(join(tmpdir(), "rm-console-"));
  const t0 = Date.now();
  let identities: SimIdentity[] = [];
  if (options.seeded) {
    const seeded = await seedDatabase({
      database: join(dataDir, "restic-manager.db"),
      hosts: n,
      jobs: 0,
      logLines: 0,
      agentTokens: true,
    });
    identities = seeded.identities ?? [];
  }
  let consoleProc = await startConsole({ dataDir });
  try {
    if (!options.seeded) {
      const admin = await setupAdmin(consoleProc.url, consoleProc.setupUrl);
      identities = await enrollFleet(consoleProc.url, admin, n, { concurrency: 16 });
    }
    const enrollMs = Date.now() - t0;
    const live = new FleetSimulator({ serverUrl: consoleProc.url, agents: identities });
    const c0 = Date.now();
    void live.start();
    await live.waitConnected(n, 300_000);
    const connectMs = Date.now() - c0;
    const rssBefore = serverRss(consoleProc.process.pid);
    const before = live.agents.map((a) => a.sessions);
    const { port, dataDir } = consoleProc;
    await consoleProc.stop("SIGKILL");
    const killedAt = Date.now();
    consoleProc = await startConsole({ port, dataDir });
    const listeningMs = Date.now() - killedAt;
    await waitFor(
      async () => live.agents.filter((a, i) => a.online && a.sessions > (before[i] ?? 0)).length,
      (c) => c === n,
      300_000,
      "all agents back",
    );
    const backMs = Date.now() - killedAt;
    const result = {
      agents: n,
      seeded: options.seeded === true,
      enrollMs,
      enrollPerSecond: Math.round((n / enrollMs) * 1000),
      connectMs,
      connectPerSecond: Math.round((n / connectMs) * 1000),
      serverRssMbConnected: rssBefore,
      restartListeningMs: listeningMs,
      allBackAfterKillMs: backMs,
      simRssMb: Math.round(process.memoryUsage().rss / 1e6),
      metrics: live.metrics.snapshot(),
    };
    await live.stop();
    return result;
  } finally {
    await consoleProc.stop("SIGKILL");
    rmSync(consoleProc.dataDir, { recursive: true, force: true });
  }
}

function serverRss(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1]);
    return Math.round(kb / 1024);
  } catch {
    return null;
  }
}

if (import.meta.filename === process.argv[1]) {
  const n = Number(process.argv[2] ?? 2000);
  const seeded = process.argv.includes("--seeded");
  console.log(JSON.stringify(await restartProbe(n, { seeded }), null, 2));
}
