/**
 * B4 (log + progress ingest from 500 concurrent jobs) and B5 (one job's live log fanned out to
 * 200 SSE viewers), each on its own console and seeded hosts, the simulator in its own process.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Samples, seedDatabase } from "@restic-manager/fleet-sim";
import type { TestClient } from "@restic-manager/testkit";
import { adminApi, type BenchConsole, data, startBenchConsole } from "./lib/console.js";
import { sleep, watchProc } from "./lib/proc.js";
import { type BenchResult, round, setting, settingNumber } from "./lib/report.js";
import { SimProcess } from "./lib/sim-client.js";

const B4_JOBS = settingNumber("RM_BENCH_B4_JOBS", 500);
const B4_RATE = settingNumber("RM_BENCH_B4_LINES_PER_SECOND", 20_000);
/** Job length: long enough that every job still runs through the window however slow dispatch is. */
const B4_SECONDS = settingNumber("RM_BENCH_B4_SECONDS", 150);
const B4_WINDOW_SECONDS = 30;
const B4_DISPATCH_SECONDS = settingNumber("RM_BENCH_B4_DISPATCH_SECONDS", 90);
const B5_VIEWERS = settingNumber("RM_BENCH_B5_VIEWERS", 200);
const B5_SLOW = settingNumber("RM_BENCH_B5_SLOW_VIEWERS", 5);
const B5_SECONDS = settingNumber("RM_BENCH_B5_SECONDS", 40);

async function setup(hosts: number, prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), `rm-bench-${prefix}-`));
  const seeded = await seedDatabase({
    database: join(dir, "restic-manager.db"),
    hosts,
    jobs: 0,
    logLines: 0,
    agentTokens: true,
    initialised: true,
    hostPrefix: prefix,
  });
  const c = await startBenchConsole({ dataDir: dir, cpuProfDir: setting("RM_BENCH_CPU_PROF") });
  const { api, token } = await adminApi(c);
  return { dir, c, api, token, identities: seeded.identities ?? [] };
}

async function groupsOf(api: TestClient, hostIds: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const hostId of hostIds) {
    const list = await data<{ items: { id: string }[] }>(api.query("sources.list", { hostId }));
    out.push(list.items[0]!.id);
  }
  return out;
}

async function teardown(c: BenchConsole, sim: SimProcess, dir: string) {
  await sim.stop();
  await c.stop("SIGTERM");
  if (!setting("RM_BENCH_KEEP")) rmSync(dir, { recursive: true, force: true });
}

export async function b4(log: (s: string) => void): Promise<BenchResult> {
  const { dir, c, api, identities } = await setup(B4_JOBS, "ingest");
  const sim = new SimProcess();
  const perJob = B4_RATE / B4_JOBS;
  try {
    // Like the real agent: log frames at most every 250 ms, progress every second.
    await sim.init(c.url, identities, dir, {
      backup: {
        durationMs: B4_SECONDS * 1000,
        extraLines: Math.round(perJob * B4_SECONDS),
        flushIntervalMs: 250,
        progressIntervalMs: 1000,
      },
    });
    await sim.waitConnected(identities.length, 120_000);
    const groups = await groupsOf(
      api,
      identities.map((i) => i.hostId),
    );
    log(`B4: starting ${groups.length} backups at ${perJob} lines/s each for ${B4_SECONDS} s`);
    const t0 = Date.now();
    let next = 0;
    let dispatched = 0;
    // A console that cannot keep up must not stall the run: stop dispatching after the deadline
    // and measure whatever runs (the count is in the details).
    const deadline = t0 + B4_DISPATCH_SECONDS * 1000;
    const workers = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < groups.length && Date.now() < deadline) {
          const groupId = groups[next++]!;
          await data(api.call("jobs.runBackup", { groupId }));
          dispatched++;
        }
      }),
    );
    await Promise.race([workers, sleep(B4_DISPATCH_SECONDS * 1000 + 10_000)]);
    const dispatchMs = Date.now() - t0;
    // Steady state: every job running, none finishing yet.
    await sleep(5000);
    await sim.call("resetSamples");
    const a = await sim.snapshot();
    const w = watchProc(c.pid, 1000);
    const windowS = Math.round(Math.max(5, Math.min(B4_WINDOW_SECONDS, B4_SECONDS - (Date.now() - t0) / 1000 - 5)));
    await sleep(windowS * 1000);
    const usage = w.stop();
    const b = await sim.snapshot();
    const runningAtEnd = b.commandsReceived - b.jobsFinished;
    const seconds = windowS;
    const committed = (b.logLinesAcked - a.logLinesAcked) / seconds;
    const sent = (b.logLinesSent - a.logLinesSent) / seconds;
    return {
      id: "B4",
      title: "log + progress ingest from concurrent jobs",
      anchor: `${dispatched}/${groups.length} simulated backups dispatched, ${perJob} lines/s each in frames every 250 ms + progress 1/s; ${seconds} s window`,
      checks: [
        {
          measure: "lines committed per second, sustained",
          measured: Math.round(committed),
          unit: "lines/s",
          target: 20_000,
          op: ">=",
        },
        {
          measure: "agent send -> committed (ack), p99",
          measured: round(b.logAckLatencyMs.p99),
          unit: "ms",
          target: 500,
          op: "<=",
        },
      ],
      details: {
        jobs: groups.length,
        dispatched,
        dispatchMs,
        jobsRunningAtWindowStart: a.commandsReceived - a.jobsFinished,
        jobsRunningAtWindowEnd: runningAtEnd,
        linesSentPerSecond: Math.round(sent),
        linesCommittedPerSecond: Math.round(committed),
        logAckLatencyMs: b.logAckLatencyMs,
        ackLatencyMs: b.ackLatencyMs,
        serverCpuPercent: round(usage.cpuPercent),
        serverPeakRssMb: round(usage.peakRssMb),
        simulatorCpuPercent: round(((b.cpuSeconds - a.cpuSeconds) / seconds) * 100),
      },
    };
  } finally {
    await teardown(c, sim, dir);
  }
}

interface Viewer {
  events: number;
  lines: number;
  close(): void;
}

/** One SSE viewer of GET /api/jobs/:id/stream, what the SPA's job page opens with EventSource. */
function openViewer(
  url: string,
  token: string,
  jobId: string,
  onLines: (lines: { at: number }[], receivedAt: number) => void,
  slow = false,
): Viewer {
  const v: Viewer = { events: 0, lines: 0, close: () => req.destroy() };
  const req = request(`${url}/api/jobs/${jobId}/stream`, {
    headers: { accept: "text/event-stream", authorization: `Bearer ${token}` },
  });
  req.on("response", (res) => {
    if (slow) {
      // Reads nothing after the headers: TCP backpressure all the way to the console.
      res.pause();
      return;
    }
    res.setEncoding("utf8");
    let buffer = "";
    res.on("data", (chunk: string) => {
      const receivedAt = Date.now();
      buffer += chunk;
      let end = buffer.indexOf("\n\n");
      while (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        const rows = block.split("\n");
        const dataLine = rows.find((l) => l.startsWith("data: "));
        if (!dataLine || !rows.includes("event: logs")) continue; // job, progress, keepalive
        // superjson: { json: lines }; the `at` numbers need no revival.
        const lines = (JSON.parse(dataLine.slice(6)) as { json: { at: number }[] }).json;
        v.events++;
        v.lines += lines.length;
        onLines(lines, receivedAt);
      }
    });
  });
  req.on("error", () => {});
  req.end();
  return v;
}

export async function b5(log: (s: string) => void): Promise<BenchResult> {
  const { dir, c, api, token, identities } = await setup(1, "fanout");
  const sim = new SimProcess();
  const viewers: Viewer[] = [];
  try {
    const lines = 1000 * (B5_SECONDS + 20);
    await sim.init(c.url, identities, dir, {
      backup: {
        durationMs: (B5_SECONDS + 20) * 1000,
        extraLines: lines,
        flushIntervalMs: 100,
        progressIntervalMs: 1000,
      },
    });
    await sim.waitConnected(1, 60_000);
    const [groupId] = await groupsOf(api, [identities[0]!.hostId]);
    const { jobId } = await data<{ jobId: string }>(api.call("jobs.runBackup", { groupId }));
    const latency = new Samples(200_000);
    let measuring = false;
    const onLines = (batch: { at: number }[], receivedAt: number) => {
      // Every line of a frame was stamped when the agent flushed it; count each line.
      if (measuring) for (const l of batch) latency.add(receivedAt - l.at);
    };
    for (let i = 0; i < B5_VIEWERS; i++) viewers.push(openViewer(c.url, token, jobId, onLines));
    for (let i = 0; i < B5_SLOW; i++) viewers.push(openViewer(c.url, token, jobId, () => {}, true));
    log(`B5: one job at 1,000 lines/s, ${B5_VIEWERS} SSE viewers + ${B5_SLOW} that never read`);
    await sleep(5000);
    await sim.call("resetSamples");
    const a = await sim.snapshot();
    const linesBefore = viewers.slice(0, B5_VIEWERS).reduce((n, v) => n + v.lines, 0);
    measuring = true;
    const w = watchProc(c.pid, 1000);
    const me = watchProc(process.pid, 1000);
    const windowS = B5_SECONDS - 5;
    await sleep(windowS * 1000);
    measuring = false;
    const usage = w.stop();
    const viewersUsage = me.stop();
    const b = await sim.snapshot();
    const linesAfter = viewers.slice(0, B5_VIEWERS).reduce((n, v) => n + v.lines, 0);
    const agentSent = (b.logLinesSent - a.logLinesSent) / windowS;
    const agentCommitted = (b.logLinesAcked - a.logLinesAcked) / windowS;
    const silent = viewers.slice(0, B5_VIEWERS).filter((v) => v.events === 0).length;
    return {
      id: "B5",
      title: "live-log fan-out over SSE",
      anchor: `1 job at 1,000 lines/s (frames every 100 ms), ${B5_VIEWERS} SSE viewers + ${B5_SLOW} stalled; ${windowS} s window`,
      checks: [
        {
          measure: "agent send -> viewer received, p99",
          measured: round(latency.percentile(99)),
          unit: "ms",
          target: 250,
          op: "<=",
        },
        {
          measure: "agent lines committed/s with stalled viewers",
          measured: Math.round(agentCommitted),
          unit: "lines/s",
          target: 980,
          op: ">=",
        },
      ],
      details: {
        latencyMs: {
          n: latency.count,
          p50: latency.percentile(50),
          p95: latency.percentile(95),
          p99: latency.percentile(99),
          max: latency.percentile(100),
        },
        agentLinesSentPerSecond: Math.round(agentSent),
        agentLogAckLatencyMs: b.logAckLatencyMs,
        linesDeliveredPerViewerPerSecond: round((linesAfter - linesBefore) / B5_VIEWERS / windowS),
        viewersWithoutEvents: silent,
        viewerProcessCpuPercent: round(viewersUsage.cpuPercent),
        serverCpuPercent: round(usage.cpuPercent),
        serverPeakRssMb: round(usage.peakRssMb),
      },
    };
  } finally {
    for (const v of viewers) v.close();
    await teardown(c, sim, dir);
  }
}
