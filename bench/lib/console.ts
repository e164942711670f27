/**
 * The built console (apps/server/dist/main.js) as a real process for benchmarks: a temp (or
 * given) data dir, a free loopback port, its JSON log written to a file (the bench never parses
 * it on the hot path), the event-loop probe (bench/probe.mjs) preloaded, the fd soft limit raised
 * to the hard limit, and optionally `--cpu-prof`. Restartable on the same port and data dir.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ADMIN_PASSWORD, freePort, REPO_ROOT, SERVER_MAIN, setupAdmin, TestClient } from "@restic-manager/testkit";
import { track } from "./children.js";
import { sleep } from "./proc.js";

export const PROBE = resolve(import.meta.dirname, "../probe.mjs");

export interface ProbeLine {
  at: number;
  pid: number;
  maxMs: number;
  p99Ms: number;
  meanMs: number;
}

export interface BenchConsole {
  url: string;
  port: number;
  dataDir: string;
  logFile: string;
  probeFile: string;
  pid: number;
  process: ChildProcess;
  /** Epoch ms when the log said "listening". */
  listeningAt: number;
  setupUrl: string | null;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartOptions {
  dataDir?: string;
  port?: number;
  env?: Record<string, string>;
  /** Write a V8 CPU profile of the console into this directory when it exits. */
  cpuProfDir?: string;
  timeoutMs?: number;
  /** Children of a group outlive a timed-out benchmark of another group (B9 idles across the run). */
  group?: string;
}

export async function startBenchConsole(options: StartOptions = {}): Promise<BenchConsole> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "rm-bench-"));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const port = options.port ?? (await freePort());
  const logFile = join(dataDir, "console.log");
  const probeFile = join(dataDir, "probe.jsonl");
  const offset = existsSync(logFile) ? statSync(logFile).size : 0;
  const fd = openSync(logFile, "a");
  const nodeArgs = ["--import", pathToFileURL(PROBE).href];
  if (options.cpuProfDir) nodeArgs.push("--cpu-prof", "--cpu-prof-dir", options.cpuProfDir);
  // `ulimit -n` up to the hard limit: 10k agent sockets need more than a default soft limit.
  const child = spawn(
    "sh",
    ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "sh", process.execPath, ...nodeArgs, SERVER_MAIN],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        RM_LISTEN: `127.0.0.1:${port}`,
        RM_DATA_DIR: dataDir,
        RM_LOG_LEVEL: "info",
        RM_BENCH_PROBE_FILE: probeFile,
        // Every simulated agent connects from 127.0.0.1: the per-address cap is for real fleets.
        RM_AGENT_UPGRADES_PER_ADDRESS: "100000",
        ...options.env,
      },
      stdio: ["ignore", fd, fd],
    },
  );
  closeSync(fd);
  track(child, options.group);
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let listeningAt = 0;
  let setupUrl: string | null = null;
  while (!listeningAt) {
    if (exited) throw new Error(`the console exited early; see ${logFile}:\n${tail(logFile, offset)}`);
    if (Date.now() > deadline) throw new Error(`the console did not start in time; see ${logFile}`);
    await sleep(25);
    const text = readFileSync(logFile, "utf8").slice(offset);
    for (const line of text.split("\n")) {
      if (!line.startsWith("{")) continue;
      try {
        const entry = JSON.parse(line) as { msg?: string; setupUrl?: string; time?: number };
        if (entry.msg === "restic-manager is listening") listeningAt = entry.time ?? Date.now();
        if (entry.setupUrl) setupUrl = entry.setupUrl;
      } catch {
        // a partial line
      }
    }
  }
  // The setup link is logged right after "listening".
  if (!setupUrl) {
    await sleep(100);
    const m = readFileSync(logFile, "utf8")
      .slice(offset)
      .match(/"setupUrl":"([^"]+)"/);
    setupUrl = m?.[1] ?? null;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    logFile,
    probeFile,
    pid: child.pid ?? 0,
    process: child,
    listeningAt,
    setupUrl,
    stop: async (signal: NodeJS.Signals = "SIGTERM") => {
      if (exited) return;
      const done = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      // A console whose event loop is stuck never handles SIGTERM (nor writes a CPU profile).
      const force = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await done;
      clearTimeout(force);
    },
  };
}

function tail(file: string, offset: number): string {
  try {
    return readFileSync(file, "utf8").slice(offset).split("\n").slice(-20).join("\n");
  } catch {
    return "";
  }
}

export function readProbe(file: string): ProbeLine[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as ProbeLine);
}

/** First-run setup through the API, then an API token: a bearer client (no cookies, no CSRF). */
export async function adminApi(c: BenchConsole): Promise<{ admin: TestClient; api: TestClient; token: string }> {
  const admin = await setupAdmin(c.url, c.setupUrl);
  const res = await admin.call("apiTokens.create", { name: "bench" });
  const token = (res.body.result?.data as { token?: string } | undefined)?.token;
  if (!token) throw new Error(`could not create an API token: ${res.text.slice(0, 300)}`);
  return { admin, api: new TestClient(c.url, { bearer: token, origin: null, csrfHeader: false }), token };
}

export { ADMIN_PASSWORD };

/** `data` of a tRPC answer, or throws with the error message. */
export async function data<T>(
  p: Promise<{ status: number; text: string; body: { result?: { data: unknown }; error?: { message: string } } }>,
): Promise<T> {
  const res = await p;
  if (res.body.error || res.status !== 200) throw new Error(res.body.error?.message ?? res.text.slice(0, 300));
  return res.body.result?.data as T;
}
