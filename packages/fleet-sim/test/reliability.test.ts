/**
 * Reliability with the fleet simulator against the built console as a real process: 200 agents
 * enrol and come online; the console is killed with SIGKILL and started again on the same port
 * and data dir; every agent comes back. Then one backup runs end to end while its socket is cut
 * mid-job, and its log lines are stored exactly once.
 */
import { execSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import {
  type ConsoleProcess,
  REPO_ROOT,
  SERVER_MAIN,
  setupAdmin,
  startConsole,
  type TestClient,
  waitFor,
} from "@restic-manager/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollFleet } from "../src/enroll.js";
import { FleetSimulator } from "../src/simulator.js";

const AGENTS = 200;

let consoleProc: ConsoleProcess;
let admin: TestClient;
let sim: FleetSimulator;

const summary = async () =>
  (await admin.query("hosts.summary")).body.result?.data as { hosts: number; online: number } | undefined;

beforeAll(async () => {
  if (!existsSync(SERVER_MAIN)) {
    execSync("npm run build -w apps/server -w apps/web", { cwd: REPO_ROOT, stdio: "inherit" });
  }
  consoleProc = await startConsole();
  admin = await setupAdmin(consoleProc.url, consoleProc.setupUrl);
}, 180_000);

afterAll(async () => {
  await sim?.stop();
  await consoleProc?.stop("SIGKILL");
  if (consoleProc) rmSync(consoleProc.dataDir, { recursive: true, force: true });
});

describe("fleet simulator against a real console", () => {
  it("200 agents come back after the console is killed and restarted; a backup stores its lines once", async () => {
    const t0 = Date.now();
    const identities = await enrollFleet(consoleProc.url, admin, AGENTS, { concurrency: 16 });
    const enrollMs = Date.now() - t0;
    expect(new Set(identities.map((i) => i.hostId)).size).toBe(AGENTS);

    sim = new FleetSimulator({
      serverUrl: consoleProc.url,
      agents: identities,
      backoff: { initialMs: 250, maxMs: 4000 },
      backup: { durationMs: 3000, extraLines: 300, flushIntervalMs: 100 },
    });
    const c0 = Date.now();
    void sim.start();
    await sim.waitConnected(AGENTS, 30_000);
    const connectMs = Date.now() - c0;
    await waitFor(summary, (s) => s?.online === AGENTS, 30_000, `${AGENTS} hosts online`);

    // kill -9 and start again on the same port and data dir.
    const sessionsBefore = sim.agents.map((a) => a.sessions);
    const port = consoleProc.port;
    const dataDir = consoleProc.dataDir;
    await consoleProc.stop("SIGKILL");
    const killedAt = Date.now();
    consoleProc = await startConsole({ port, dataDir });
    const listeningMs = Date.now() - killedAt;
    await waitFor(
      async () => sim.agents.filter((a, i) => a.online && a.sessions > (sessionsBefore[i] ?? 0)).length,
      (n) => n === AGENTS,
      60_000,
      `all ${AGENTS} agents reconnected`,
    );
    const reconnectMs = Date.now() - killedAt;
    // The admin session lives in the database, so the same cookie works after the restart.
    await waitFor(summary, (s) => s?.online === AGENTS, 30_000, `${AGENTS} hosts online after restart`);
    const onlineMs = Date.now() - killedAt;
    console.log(
      `[fleet-sim] enrol ${AGENTS}: ${enrollMs} ms; connect: ${connectMs} ms ` +
        `(${Math.round((AGENTS / connectMs) * 1000)} agents/s); after kill -9: listening ${listeningMs} ms, ` +
        `all reconnected ${reconnectMs} ms, hosts.summary online=${AGENTS} ${onlineMs} ms`,
    );

    // One backup end to end, with the agent's socket cut mid-job so unacked events are replayed.
    const agent = sim.agents[0]!;
    const hostId = agent.identity.hostId;
    await waitFor(
      async () =>
        (await admin.query("jobs.list", { hostId, kind: "init", limit: 5 })).body.result?.data as {
          items: { status: string }[];
        },
      (d) => d?.items.some((r) => r.status === "succeeded") === true,
      20_000,
      "the init job succeeded",
    );
    const group = await admin.call("sources.create", {
      hostId,
      name: "etc",
      includePaths: ["/etc"],
      excludePatterns: [],
    });
    expect(group.status, group.text).toBe(200);
    const groupId = (group.body.result!.data as { id: string }).id;
    let received = 0;
    sim.on("command", (a, cmd) => {
      if (a === agent && cmd.kind === "backup") received = Date.now();
    });
    const dispatchedAt = Date.now();
    const run = await admin.call("jobs.runBackup", { groupId });
    expect(run.status, run.text).toBe(200);
    const { jobId } = run.body.result!.data as { jobId: string };
    await new Promise((r) => setTimeout(r, 1200));
    const sessions = agent.sessions;
    const replayedBefore = sim.metrics.eventsReplayed;
    agent.ws?.terminate();
    await waitFor(
      async () => agent.sessions,
      (n) => n > sessions,
      15_000,
      "the agent reconnected mid-job",
    );
    const job = await waitFor(
      async () =>
        (await admin.query("jobs.get", { jobId })).body.result?.data as {
          status: string;
          logLines: number;
          stats: Record<string, unknown> | null;
        },
      (j) => j?.status === "succeeded",
      20_000,
      "the backup succeeded",
    );
    // Lines flushed while the socket was down (every 100 ms, >= 125 ms of backoff) went out again.
    const replayed = sim.metrics.eventsReplayed - replayedBefore;
    expect(replayed).toBeGreaterThan(0);
    const logPage = (await admin.query("jobs.logs", { jobId, limit: 5000 })).body.result?.data as
      | { items: { seq: number; line: string }[] }
      | undefined;
    const logs = logPage?.items ?? [];
    const expectedLines = 1 + 300 + sim.script.lines.length;
    expect(logs.length).toBe(expectedLines);
    expect(job.logLines).toBe(expectedLines);
    expect(logs.map((l) => l.seq)).toEqual(Array.from({ length: expectedLines }, (_, i) => i));
    expect(new Set(logs.map((l) => l.line)).size).toBe(expectedLines);
    expect(job.stats?.snapshotId).toMatch(/^[0-9a-f]{8}$/);
    await waitFor(
      async () => (await admin.query("hosts.get", { hostId })).body.result?.data as { snapshotCount: number },
      (h) => h?.snapshotCount === 1,
      10_000,
      "the snapshot was reported",
    );
    console.log(
      `[fleet-sim] backup: runBackup -> agent received ${received - dispatchedAt} ms; ${replayed} events replayed after the cut`,
    );
  }, 85_000);
});
