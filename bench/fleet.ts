/**
 * B1, B2, B3 share one fleet: N seeded hosts (agent tokens, a succeeded init each, so connecting
 * dispatches nothing), the real console, and the simulator in its own process. Created on first
 * use; B2 restarts the console, so it runs after B1 and B3.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SimIdentity, seedDatabase } from "@restic-manager/fleet-sim";
import type { TestClient } from "@restic-manager/testkit";
import { adminApi, type BenchConsole, data, readProbe, startBenchConsole } from "./lib/console.js";
import { sampleProc, sleep, watchProc } from "./lib/proc.js";
import { type BenchResult, round, setting, settingNumber } from "./lib/report.js";
import { SimProcess, type SimSnapshot } from "./lib/sim-client.js";

export const FLEET_AGENTS = settingNumber("RM_BENCH_AGENTS", 10_000);
const IDLE_SECONDS = settingNumber("RM_BENCH_IDLE_SECONDS", 60);
const B3_DISPATCHES = settingNumber("RM_BENCH_B3_DISPATCHES", 200);

export interface Fleet {
  dir: string;
  console: BenchConsole;
  api: TestClient;
  sim: SimProcess;
  identities: SimIdentity[];
  seedMs: number;
  connectMs: number;
  connectSnapshot: SimSnapshot;
  close(): Promise<void>;
}

let fleet: Promise<Fleet> | null = null;

export function getFleet(log: (s: string) => void): Promise<Fleet> {
  fleet ??= createFleet(log);
  return fleet;
}

export async function closeFleet(): Promise<void> {
  if (!fleet) return;
  const f = await fleet.catch(() => null);
  fleet = null;
  await f?.close();
}

async function createFleet(log: (s: string) => void): Promise<Fleet> {
  const dir = mkdtempSync(join(tmpdir(), "rm-bench-fleet-"));
  const t0 = Date.now();
  const seeded = await seedDatabase({
    database: join(dir, "restic-manager.db"),
    hosts: FLEET_AGENTS,
    jobs: 0,
    logLines: 0,
    agentTokens: true,
    initialised: true,
    hostPrefix: "fleet",
  });
  const seedMs = Date.now() - t0;
  const identities = seeded.identities ?? [];
  log(`fleet: seeded ${identities.length} hosts in ${seedMs} ms`);
  const c = await startBenchConsole({ dataDir: dir, cpuProfDir: setting("RM_BENCH_CPU_PROF") });
  const { api } = await adminApi(c);
  const sim = new SimProcess();
  const c0 = Date.now();
  // Short simulated backups: B3 dispatches real backups and they should not pile up.
  await sim.init(c.url, identities, dir, { backup: { durationMs: 500, extraLines: 10 } }, true);
  const connectSnapshot = await sim.waitConnected(identities.length, 600_000);
  const connectMs = Date.now() - c0;
  log(`fleet: ${identities.length} agents connected in ${connectMs} ms`);
  const f: Fleet = {
    dir,
    console: c,
    api,
    sim,
    identities,
    seedMs,
    connectMs,
    connectSnapshot,
    close: async () => {
      await sim.stop();
      await f.console.stop("SIGTERM");
      if (!setting("RM_BENCH_KEEP")) rmSync(dir, { recursive: true, force: true });
    },
  };
  return f;
}

const anchorOf = (n: number) => `${n.toLocaleString("en")} seeded agents, simulator in its own process, same 2 cores`;

export async function b1(log: (s: string) => void): Promise<BenchResult> {
  const f = await getFleet(log);
  // Wait until the console has every host online, then let the first heartbeats spread out.
  const t0 = Date.now();
  for (;;) {
    const s = await data<{ online: number }>(f.api.query("hosts.summary"));
    if (s.online >= f.identities.length || Date.now() - t0 > 60_000) break;
    await sleep(500);
  }
  await sleep(5000);
  log(`B1: measuring the idle console for ${IDLE_SECONDS} s`);
  const simBefore = await f.sim.snapshot();
  const w = watchProc(f.console.pid, 1000);
  await sleep(IDLE_SECONDS * 1000);
  const idle = w.stop();
  const simAfter = await f.sim.snapshot();
  const heartbeats = simAfter.messagesSent - simBefore.messagesSent;
  return {
    id: "B1",
    title: "agents connected to one console, 30 s heartbeats",
    anchor: anchorOf(f.identities.length),
    checks: [
      { measure: "agents connected", measured: simAfter.connected, unit: "", target: 10_000, op: ">=" },
      { measure: "server RSS, fleet connected", measured: round(idle.peakRssMb), unit: "MB", target: 250, op: "<=" },
      {
        measure: `idle server CPU over ${IDLE_SECONDS} s`,
        measured: round(idle.cpuPercent, 2),
        unit: "% core",
        target: 5,
        op: "<=",
      },
    ],
    details: {
      seedMs: f.seedMs,
      connectMs: f.connectMs,
      connectPerSecond: Math.round((f.identities.length / f.connectMs) * 1000),
      connectLatencyMs: f.connectSnapshot.connectLatencyMs,
      connectFailures: simAfter.connectFailures,
      reconnectsDuringIdle: simAfter.reconnects - simBefore.reconnects,
      messagesDuringIdle: heartbeats,
      messagesPerSecond: round(heartbeats / IDLE_SECONDS),
      serverRssMbEnd: round(idle.rssMb),
      simulatorRssMb: round(simAfter.rssMb),
      idleSeconds: IDLE_SECONDS,
    },
  };
}

export async function b3(log: (s: string) => void): Promise<BenchResult> {
  const f = await getFleet(log);
  const n = Math.min(B3_DISPATCHES, f.identities.length);
  const step = Math.max(1, Math.floor(f.identities.length / n));
  const hosts = Array.from({ length: n }, (_, i) => f.identities[(i * step) % f.identities.length]!);
  // Each seeded host has one source group ("default", /etc and /srv).
  const groups: string[] = [];
  for (const h of hosts) {
    const list = await data<{ items: { id: string }[] }>(f.api.query("sources.list", { hostId: h.hostId }));
    groups.push(list.items[0]!.id);
  }
  log(`B3: ${n} Run-now mutations, one at a time, ${f.identities.length} agents connected`);
  const latencies: number[] = [];
  const roundTrips: number[] = [];
  const w = watchProc(f.console.pid, 1000);
  for (const groupId of groups) {
    const t0 = performance.timeOrigin + performance.now();
    const res = await f.api.call("jobs.runBackup", { groupId });
    const t1 = performance.timeOrigin + performance.now();
    const jobId = (res.body.result?.data as { jobId?: string } | undefined)?.jobId;
    if (!jobId) throw new Error(`runBackup failed: ${res.text.slice(0, 300)}`);
    const startedAt = await f.sim.waitStarted(jobId, 30_000);
    latencies.push(startedAt - t0);
    roundTrips.push(t1 - t0);
    await sleep(100);
  }
  const usage = w.stop();
  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? null;
  };
  return {
    id: "B3",
    title: "dispatch latency, Run-now mutation -> agent started the job",
    anchor: `${n} sequential Run-now over HTTP (API token), ${anchorOf(f.identities.length)}`,
    checks: [
      {
        measure: "Run now -> job.started, p95",
        measured: round(pct(latencies, 95), 2),
        unit: "ms",
        target: 25,
        op: "<=",
      },
    ],
    details: {
      dispatches: n,
      latencyMs: {
        p50: round(pct(latencies, 50), 2),
        p95: round(pct(latencies, 95), 2),
        p99: round(pct(latencies, 99), 2),
        max: round(Math.max(...latencies), 2),
      },
      mutationRoundTripMs: { p50: round(pct(roundTrips, 50), 2), p95: round(pct(roundTrips, 95), 2) },
      serverCpuPercent: round(usage.cpuPercent),
    },
  };
}

export async function b2(log: (s: string) => void): Promise<BenchResult> {
  const f = await getFleet(log);
  await f.sim.call("mark");
  const rssBefore = sampleProc(f.console.pid)?.rssMb ?? null;
  const { port, dataDir } = f.console;
  log(`B2: kill -9 of the console with ${f.identities.length} agents connected, then a restart`);
  await f.console.stop("SIGKILL");
  const killedAt = Date.now();
  f.console = await startBenchConsole({ dataDir, port, cpuProfDir: setting("RM_BENCH_CPU_PROF") });
  const listeningMs = f.console.listeningAt - killedAt;
  let backMs: number | null = null;
  const n = f.identities.length;
  const progress: [number, number][] = [];
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const back = await f.sim.call<number>("back");
    progress.push([Date.now() - killedAt, back]);
    if (back >= n) {
      backMs = Date.now() - killedAt;
      break;
    }
    await sleep(100);
  }
  await sleep(2000);
  const backAt = killedAt + (backMs ?? Date.now() - killedAt);
  const probe = readProbe(f.console.probeFile).filter((p) => p.pid === f.console.pid);
  // A probe line covers the interval before its timestamp: skip the one that straddles "listening".
  const afterListening = probe.filter((p) => p.at >= f.console.listeningAt + 250 && p.at <= backAt + 2000);
  const stallMs = afterListening.reduce((m, p) => Math.max(m, p.maxMs), 0);
  const stallStartup = probe
    .filter((p) => p.at < f.console.listeningAt + 250)
    .reduce((m, p) => Math.max(m, p.maxMs), 0);
  const snap = await f.sim.snapshot();
  const at = (k: number) => progress.find(([, b]) => b >= k)?.[0] ?? null;
  return {
    id: "B2",
    title: "console restart (kill -9) with the fleet connected",
    anchor: anchorOf(n),
    checks: [
      {
        measure: "kill -9 -> all agents back",
        measured: round(backMs === null ? null : backMs / 1000, 2),
        unit: "s",
        target: 15,
        op: "<=",
      },
      {
        measure: "longest event-loop stall, listening -> all back",
        measured: round(stallMs),
        unit: "ms",
        target: 200,
        op: "<=",
      },
    ],
    details: {
      listeningAfterKillMs: listeningMs,
      halfBackMs: at(Math.ceil(n / 2)),
      ninetyPercentBackMs: at(Math.ceil(n * 0.9)),
      allBackMs: backMs,
      startupStallMs: round(stallStartup),
      probeIntervals: afterListening.length,
      serverRssMbBeforeKill: round(rssBefore),
      connectFailures: snap.connectFailures,
      connectLatencyMs: snap.connectLatencyMs,
    },
  };
}
