/**
 * B8: the same backup through the real agent (compiled binary, real console, Run now) and as
 * plain restic, alternated. B9: the agent binary's size, start -> connected, idle RSS.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { gzipSync } from "node:zlib";
import { AGENT_BINARY, AgentProcess, type TestClient } from "@restic-manager/testkit";
import { track } from "./lib/children.js";
import { adminApi, type BenchConsole, data, startBenchConsole } from "./lib/console.js";
import { childrenOf, cmdline, procAlive, procStart, sampleProc, sleep } from "./lib/proc.js";
import { type BenchResult, round, setting, settingNumber } from "./lib/report.js";

const B8_FILES = settingNumber("RM_BENCH_B8_FILES", 100_000);
const B8_RUNS = settingNumber("RM_BENCH_B8_RUNS", 5);
const B9_IDLE_SECONDS = settingNumber("RM_BENCH_B9_IDLE_SECONDS", 600);
const REPO_PASSWORD = "bench repository password";

async function enrollAgent(c: BenchConsole, api: TestClient, dir: string, name: string, repoUrl: string) {
  const created = await data<{ token: string }>(
    api.call("enrollment.create", { hostname: name, repoUrl, repoPassword: REPO_PASSWORD }),
  );
  const agent = new AgentProcess(join(dir, "agent"));
  mkdirSync(agent.dir, { recursive: true });
  const res = await agent.enroll(c.url, created.token);
  if (res.status !== 0) throw new Error(`agent enrol failed: ${res.stderr}`);
  const config = readFileSync(agent.configPath, "utf8");
  const hostId = config.match(/hostId:\s*"?([0-9A-Z]+)"?/)?.[1];
  if (!hostId) throw new Error("no hostId in the agent config");
  return { agent, hostId };
}

async function waitStatus(api: TestClient, hostId: string, status: string, timeoutMs = 30_000, everyMs = 5) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const host = await data<{ status: string }>(api.query("hosts.get", { hostId }));
    if (host.status === status) return;
    await sleep(everyMs);
  }
  throw new Error(`host ${hostId} not ${status} after ${timeoutMs} ms`);
}

interface Job {
  status: string;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  stats: Record<string, unknown> | null;
}

async function waitJob(api: TestClient, jobId: string, timeoutMs = 900_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const job = await data<Job>(api.query("jobs.get", { jobId }));
    if (!["queued", "running"].includes(job.status)) return job;
    await sleep(200);
  }
  throw new Error(`job ${jobId} did not finish`);
}

/** Writes `n` small files (100 per directory, 200 B .. 4 KB of text each). */
function makeFiles(root: string, n: number) {
  let bytes = 0;
  for (let d = 0; d * 100 < n; d++) {
    const dir = join(root, `d${String(d).padStart(4, "0")}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 100 && d * 100 + f < n; f++) {
      const i = d * 100 + f;
      const body = `file ${i} ${"abcdefghij".repeat(((i * 7919) % 380) + 20)}\n`;
      bytes += body.length;
      writeFileSync(join(dir, `f${String(f).padStart(3, "0")}.txt`), body);
    }
  }
  return bytes;
}

/** Follows the agent's restic `backup` child: its start (from /proc) and the moment it is gone. */
async function watchResticBackup(agentPid: number, timeoutMs = 900_000): Promise<{ wallMs: number }> {
  const deadline = Date.now() + timeoutMs;
  let pid: number | null = null;
  while (pid === null) {
    if (Date.now() > deadline) throw new Error("the agent never started restic backup");
    pid = childrenOf(agentPid).find((p) => cmdline(p).includes("backup")) ?? null;
    if (pid === null) await sleep(2);
  }
  const startedAt = procStart(pid) ?? Date.now();
  while (procAlive(pid)) await sleep(2);
  return { wallMs: Date.now() - startedAt };
}

function plainBackup(repo: string, cacheDir: string, paths: string[]) {
  return new Promise<{ wallMs: number; totalDuration: number | null; lines: number }>((done, fail) => {
    const t0 = Date.now();
    const child = spawn("restic", ["backup", "--json", "-v", "--tag=default", "--", ...paths], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        RESTIC_REPOSITORY: repo,
        RESTIC_PASSWORD: REPO_PASSWORD,
        RESTIC_CACHE_DIR: cacheDir,
        RESTIC_PROGRESS_FPS: "4",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let lines = 0;
    let totalDuration: number | null = null;
    // Read every line like the agent does (and keep the summary), not /dev/null.
    createInterface({ input: child.stdout! }).on("line", (line) => {
      lines++;
      if (line.includes('"message_type":"summary"')) {
        totalDuration = (JSON.parse(line) as { total_duration?: number }).total_duration ?? null;
      }
    });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", fail);
    child.on("exit", (code) => {
      if (code !== 0 && code !== 3) fail(new Error(`restic backup exited ${code}: ${stderr.slice(-500)}`));
      else done({ wallMs: Date.now() - t0, totalDuration, lines });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function b8(log: (s: string) => void): Promise<BenchResult> {
  const root = mkdtempSync(join(tmpdir(), "rm-bench-b8-"));
  const dataDir = join(root, "data");
  const repo = join(root, "repo");
  let c: BenchConsole | null = null;
  let agent: AgentProcess | null = null;
  try {
    log(`B8: writing ${B8_FILES.toLocaleString("en")} files`);
    const bytes = makeFiles(dataDir, B8_FILES);
    c = await startBenchConsole({ dataDir: join(root, "console") });
    const { api } = await adminApi(c);
    const enrolled = await enrollAgent(c, api, root, "bench-b8", repo);
    agent = enrolled.agent;
    const child = track(agent.start());
    await waitStatus(api, enrolled.hostId, "online", 60_000, 100);
    // The console initialises the repository on the first connection.
    const t0 = Date.now();
    for (;;) {
      const init = await data<{ status: string } | null>(api.query("hosts.initStatus", { hostId: enrolled.hostId }));
      if (init?.status === "succeeded") break;
      if (init?.status === "failed" || Date.now() - t0 > 120_000) throw new Error(`repository init: ${init?.status}`);
      await sleep(200);
    }
    const {
      items: [group],
    } = await data<{ items: { id: string }[] }>(api.query("sources.list", { hostId: enrolled.hostId }));
    await data(
      api.call("sources.update", { groupId: group!.id, name: "default", includePaths: [dataDir], excludePatterns: [] }),
    );
    const viaAgent = async () => {
      const watch = watchResticBackup(child.pid!);
      const { jobId } = await data<{ jobId: string }>(api.call("jobs.runBackup", { groupId: group!.id }));
      const { wallMs } = await watch;
      const job = await waitJob(api, jobId);
      if (job.status !== "succeeded") throw new Error(`agent backup ${job.status}: ${job.error}`);
      const jobMs = new Date(job.finishedAt!).getTime() - new Date(job.startedAt!).getTime();
      return { wallMs, jobMs, totalDuration: Number(job.stats?.totalDuration ?? Number.NaN) };
    };
    const cacheDir = join(root, "plain-cache");
    log("B8: first backup through the agent (all files new), then one plain (warms its cache)");
    const first = await viaAgent();
    const firstPlain = await plainBackup(repo, cacheDir, [dataDir]);
    const agentRuns: Awaited<ReturnType<typeof viaAgent>>[] = [];
    const plainRuns: Awaited<ReturnType<typeof plainBackup>>[] = [];
    for (let i = 0; i < B8_RUNS; i++) {
      // Alternate which goes first so drift (page cache, other load) falls on both.
      if (i % 2 === 0) {
        plainRuns.push(await plainBackup(repo, cacheDir, [dataDir]));
        agentRuns.push(await viaAgent());
      } else {
        agentRuns.push(await viaAgent());
        plainRuns.push(await plainBackup(repo, cacheDir, [dataDir]));
      }
      log(
        `B8: run ${i + 1}/${B8_RUNS}: plain ${plainRuns.at(-1)!.wallMs} ms, agent ${agentRuns.at(-1)!.wallMs} ms (restic wall)`,
      );
    }
    const agentMed = median(agentRuns.map((r) => r.wallMs));
    const plainMed = median(plainRuns.map((r) => r.wallMs));
    return {
      id: "B8",
      title: "the same backup through the agent vs plain restic",
      anchor: `${B8_FILES.toLocaleString("en")} files (${round(bytes / 1e6)} MB), local repository, restic ${resticVersion()}, unchanged files after a first full backup, ${B8_RUNS} runs each alternated`,
      checks: [
        {
          measure: "agent / plain restic wall time (median)",
          measured: round(agentMed / plainMed, 3),
          unit: "x",
          target: 1.02,
          op: "<=",
        },
      ],
      details: {
        method:
          "agent: wall time of the agent's `restic backup` child (start from /proc/<pid>/stat, end when it exits; 2 ms polling); plain: spawn -> exit of the same command line, stdout read line by line",
        agentWallMs: agentRuns.map((r) => r.wallMs),
        plainWallMs: plainRuns.map((r) => r.wallMs),
        agentMedianMs: agentMed,
        plainMedianMs: plainMed,
        agentMeanMs: round(mean(agentRuns.map((r) => r.wallMs))),
        plainMeanMs: round(mean(plainRuns.map((r) => r.wallMs))),
        agentJobStartedToFinishedMs: agentRuns.map((r) => r.jobMs),
        agentResticTotalDuration: agentRuns.map((r) => round(r.totalDuration, 3)),
        plainResticTotalDuration: plainRuns.map((r) => round(r.totalDuration, 3)),
        plainStdoutLines: plainRuns.map((r) => r.lines),
        firstBackup: { agentWallMs: first.wallMs, agentJobMs: first.jobMs, plainAfterMs: firstPlain.wallMs },
      },
    };
  } finally {
    await agent?.stop("SIGTERM");
    await c?.stop("SIGTERM");
    if (!setting("RM_BENCH_KEEP")) rmSync(root, { recursive: true, force: true });
  }
}

function resticVersion(): string {
  try {
    return execFileSync("restic", ["version"], { encoding: "utf8" }).split(" ")[1] ?? "?";
  } catch {
    return "?";
  }
}

/**
 * B9 runs in two halves so its 10 idle minutes overlap the other benchmarks: `begin` measures
 * size and start -> connected and leaves the agent idling; `finish` waits out the idle time and
 * reads its RSS.
 */
export async function b9Begin(log: (s: string) => void) {
  const root = mkdtempSync(join(tmpdir(), "rm-bench-b9-"));
  const startedAt = Date.now();
  const raw = statSync(AGENT_BINARY).size;
  const gz = gzipSync(readFileSync(AGENT_BINARY), { level: 9 }).length;
  const c = await startBenchConsole({ dataDir: join(root, "console"), group: "b9" });
  const { api } = await adminApi(c);
  const { agent, hostId } = await enrollAgent(c, api, root, "bench-b9", join(root, "repo"));
  const times: number[] = [];
  const selfReported: number[] = [];
  let child: ChildProcess | null = null;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    child = track(agent.start(), "b9");
    let saidConnected = 0;
    child.stderr?.on("data", (d: Buffer) => {
      if (!saidConnected && d.toString().includes("connected as host")) saidConnected = performance.now();
    });
    // Polled gently: a 2 ms poll loop kept the console busy answering HTTP while the agent
    // connected and added ~100 ms to what it measured.
    await waitStatus(api, hostId, "online", 30_000, 25);
    times.push(performance.now() - t0);
    await sleep(300);
    if (saidConnected) selfReported.push(saidConnected - t0);
    if (i < 4) {
      await agent.stop("SIGTERM");
      await waitStatus(api, hostId, "offline", 30_000, 20);
    }
  }
  log(`B9: agent idling for ${B9_IDLE_SECONDS} s (RM_BENCH_B9_IDLE_SECONDS)`);
  const idleFrom = Date.now();
  const pid = child!.pid!;
  return {
    async finish(): Promise<BenchResult> {
      try {
        const left = idleFrom + B9_IDLE_SECONDS * 1000 - Date.now();
        if (left > 0) {
          log(`B9: waiting ${Math.round(left / 1000)} s more of agent idle time`);
          await sleep(left);
        }
        const s = sampleProc(pid);
        const idleSeconds = Math.round((Date.now() - idleFrom) / 1000);
        // The agent logs "connected" when hello.ok arrives, which the console sends after it
        // recorded the host online: the start -> connected time without a poll loop's granularity.
        const connected = selfReported.length === times.length ? selfReported : times;
        const sorted = [...connected].sort((a, b) => a - b);
        return {
          id: "B9",
          title: "agent binary size, start -> connected, idle RSS",
          anchor: `linux-x64 binary (bun --compile), ${times.length} starts against a local console, idle ${idleSeconds} s`,
          checks: [
            { measure: "agent binary, gzip -9", measured: round(gz / 1024 / 1024), unit: "MB", target: 55, op: "<=" },
            {
              measure: "start -> connected (hello.ok), median",
              measured: round(sorted[Math.floor(sorted.length / 2)]!),
              unit: "ms",
              target: 150,
              op: "<=",
            },
            {
              measure: `agent RSS after ${idleSeconds} s idle`,
              measured: round(s?.rssMb ?? null),
              unit: "MB",
              target: 40,
              op: "<=",
            },
          ],
          details: {
            rawMb: round(raw / 1024 / 1024),
            gzipMb: round(gz / 1024 / 1024),
            startToOnlineMs: times.map((t) => round(t)),
            startToAgentLogConnectedMs: selfReported.map((t) => round(t)),
            idleSeconds,
            totalSeconds: Math.round((Date.now() - startedAt) / 1000),
          },
        };
      } finally {
        await agent.stop("SIGTERM");
        await c.stop("SIGTERM");
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
