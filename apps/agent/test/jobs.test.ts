/**
 * Jobs end to end inside the agent: the in-process agent, the fake server, the real restic 0.14
 * and real repositories in temp dirs.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runBackupJob } from "../src/jobs/backup.js";
import {
  finishedOf,
  helloWithRepo,
  jobEvents,
  jobLines,
  REAL_RESTIC,
  REPO_PASSWORD,
  type StartedAgent,
  sendCommand,
  settle,
  startAgent,
  waitFinished,
} from "./helpers/agent-harness.js";
import { tempDir } from "./helpers/config.js";
import { type FakeServer, startFakeServer } from "./helpers/fake-server.js";

let tmp: ReturnType<typeof tempDir>;
let server: FakeServer | null;
let started: StartedAgent | null;
let repo: string;

beforeEach(() => {
  tmp = tempDir("rm-agent-jobs-");
  repo = join(tmp.dir, "repo");
  server = null;
  started = null;
});
afterEach(async () => {
  await started?.agent.stop();
  await server?.close();
  // Never leave a restic behind, even when a test failed half-way.
  spawnSync("pkill", ["-KILL", "-f", tmp.dir]);
  tmp.cleanup();
});

const resticEnv = () => ({ ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: REPO_PASSWORD });
const initRepo = () => execFileSync(REAL_RESTIC, ["init"], { env: resticEnv(), stdio: "ignore" });
const resticProcessesUnder = (dir: string) =>
  spawnSync("pgrep", ["-af", dir], { encoding: "utf8" })
    .stdout.split("\n")
    .filter((l) => l.includes("restic"));

function smallTree(name = "data") {
  const dir = join(tmp.dir, name);
  mkdirSync(join(dir, "docs"), { recursive: true });
  for (let i = 0; i < 30; i++) writeFileSync(join(dir, "docs", `note-${i}.txt`), `note ${i}\n`.repeat(20));
  writeFileSync(join(dir, "readme.md"), "# hello\n");
  return dir;
}

function randomTree(name: string, files: number, bytesEach: number) {
  const dir = join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(dir, `blob-${i}`), randomBytes(bytesEach));
  return dir;
}

async function boot(heartbeatIntervalSeconds = 30) {
  server = await startFakeServer({ autoAck: true, onHello: helloWithRepo(repo, heartbeatIntervalSeconds) });
  started = await startAgent(server, tmp.dir);
  await server.waitFor("config.ack");
  return { server, agent: started.agent, session: server.sessions[0]! };
}

describe("init job", () => {
  it("initialises the repository; a second init counts as success", async () => {
    const { server, session } = await boot();
    sendCommand(session, { jobId: "init-1", kind: "init", params: {} });
    const first = await waitFinished(server, "init-1");
    expect(first.payload).toMatchObject({ status: "succeeded", exitCode: 0, error: null });
    expect(existsSync(join(repo, "config"))).toBe(true);
    expect(jobLines(server, "init-1").map((l) => l.line)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^restic 0\.\d+\.\d+: initialising the repository$/),
        expect.stringMatching(/^created restic repository [0-9a-f]+ at /),
        "reported 0 snapshots to the server",
      ]),
    );
    const report = await server.waitFor("snapshots.report");
    expect(report.payload).toMatchObject({ part: 0, parts: 1, snapshots: [] });
    expect((await server.waitFor("repo.stats")).payload).toMatchObject({ snapshotsCount: 0 });

    sendCommand(session, { jobId: "init-2", kind: "init", params: {} });
    const second = await waitFinished(server, "init-2");
    expect(second.payload).toMatchObject({ status: "succeeded", error: null });
    const lines = jobLines(server, "init-2");
    expect(lines).toEqual(
      expect.arrayContaining([
        { stream: "stderr", line: expect.stringMatching(/config file already exists/) },
        { stream: "system", line: "the repository is already initialised: nothing to do" },
      ]),
    );
  });

  it("fails an init whose repository exists but does not open with the password", async () => {
    initRepo();
    server = await startFakeServer({
      autoAck: true,
      onHello: (session) => {
        helloWithRepo(repo)(session);
        session.send("config.update", {
          version: 2,
          repository: { url: repo, username: null, password: "not-the-repository-password" },
        });
      },
    });
    started = await startAgent(server, tmp.dir);
    await server.waitFor("config.ack", { after: 1 });
    sendCommand(server.sessions[0]!, { jobId: "init-wrong", kind: "init", params: {} });
    const finished = await waitFinished(server, "init-wrong");
    expect(finished.payload.status).toBe("failed");
    expect(finished.payload.error).toMatch(/password the server holds does not open it: wrong password/);
  });
});

describe("backup job", () => {
  it("streams started, throttled progress, numbered lines and the summary; then reports snapshots and size", async () => {
    initRepo();
    const data = smallTree();
    // Enough data for a few seconds of progress.
    randomTree("data/big", 3, 100 * 1024 * 1024);
    const { server, session } = await boot(1);
    const started = Date.now();
    sendCommand(session, {
      jobId: "backup-1",
      kind: "backup",
      params: { paths: [data], excludes: ["*.md"], tags: ["default"], sourceGroupId: "g1" },
    });
    const finished = await waitFinished(server, "backup-1");
    expect(finished.payload, finished.payload.error ?? "").toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(Date.now() - started).toBeGreaterThan(1000);

    const events = jobEvents(server, "backup-1");
    expect(events[0]?.type).toBe("job.started");
    expect(events.at(-1)?.type).toBe("job.finished");
    expect(events.map((e) => e.payload.seq)).toEqual(events.map((_, i) => i + 1));

    const progress = events.filter((e) => e.type === "job.progress");
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]!.payload.at - progress[i - 1]!.payload.at).toBeGreaterThanOrEqual(990);
    }
    const last = progress.at(-1)!.payload;
    expect(last).toMatchObject({ filesDone: expect.any(Number), bytesDone: expect.any(Number) });
    expect(last.percent).toBeGreaterThan(0);
    expect(last.percent).toBeLessThanOrEqual(100);

    const lines = jobLines(server, "backup-1");
    const text = lines.map((l) => l.line);
    expect(text[0]).toMatch(/^restic 0\.\d+\.\d+: backing up .*\/data, excluding \*\.md$/);
    expect(text).toContain(`new      ${data}/docs/note-0.txt (140 B)`);
    expect(text.some((l) => l.includes("readme.md"))).toBe(false);
    expect(text).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Files: +33 new/), "reported 1 snapshot to the server"]),
    );

    const summary = finished.payload.summary!;
    expect(summary).toMatchObject({ filesNew: 33, errorCount: 0 });
    // restic 0.14 prints the short id; the agent resolves it to the full one from the listing.
    expect(summary.snapshotId).toMatch(/^[0-9a-f]{64}$/);

    const all = server.sessions[0]!.messages;
    const reportAt = all.findIndex((m) => m.type === "snapshots.report");
    const statsAt = all.findIndex((m) => m.type === "repo.stats");
    const finishedAt = all.findIndex((m) => m.type === "job.finished" && m.payload.jobId === "backup-1");
    expect(reportAt).toBeGreaterThan(-1);
    expect(reportAt).toBeLessThan(finishedAt);
    expect(statsAt).toBeLessThan(finishedAt);
    const report = all[reportAt] as Extract<(typeof all)[number], { type: "snapshots.report" }>;
    expect(report.payload.snapshots).toEqual([
      expect.objectContaining({ id: summary.snapshotId, paths: [data], tags: ["default"], parent: null }),
    ]);
    const stats = all[statsAt] as Extract<(typeof all)[number], { type: "repo.stats" }>;
    expect(stats.payload.totalSizeBytes).toBeGreaterThan(300 * 1024 * 1024);
    expect(stats.payload.snapshotsCount).toBe(1);

    // While restic ran, heartbeats listed the job; the ones after it ended do not.
    const beats = all.filter((m) => m.type === "heartbeat");
    expect(beats.some((b) => b.type === "heartbeat" && b.payload.runningJobIds.includes("backup-1"))).toBe(true);
    const laterBeat = await server.waitFor("heartbeat", { after: beats.length });
    expect(laterBeat.payload.runningJobIds).toEqual([]);

    // restic's cache lives in the agent's state dir; no process record is left.
    expect(existsSync(join(tmp.dir, "cache"))).toBe(true);
    expect(existsSync(join(tmp.dir, "restic-processes.json"))).toBe(false);
    // Everything acked: no spool left.
    await server.waitUntil(() => readdirSync(join(tmp.dir, "spool")).length === 0, "the spool to empty");
  }, 90_000);

  it("fails on a missing repository with restic's reason", async () => {
    const { server, session } = await boot();
    sendCommand(session, {
      jobId: "no-repo",
      kind: "backup",
      params: { paths: [smallTree()], excludes: [], tags: [], sourceGroupId: null },
    });
    const failed = await waitFinished(server, "no-repo");
    expect(failed.payload).toMatchObject({ status: "failed", exitCode: 1, summary: null });
    expect(failed.payload.error).toMatch(/unable to open config file|repository does not exist/);
    expect(server.sessions[0]!.messages.some((m) => m.type === "snapshots.report")).toBe(false);
  }, 60_000);

  it("never lets a path become a flag: '-' paths go after --, and the protocol refuses them anyway", async () => {
    initRepo();
    const { server, session, agent } = await boot();
    // The wire refuses a path starting with '-' before any handler sees it.
    session.ws.send(
      JSON.stringify({
        type: "command.run",
        payload: { jobId: "dash", kind: "backup", params: { paths: ["-rf"], excludes: [], tags: [] } },
      }),
    );
    const error = await server.waitFor("error");
    expect(error.payload.code).toBe("invalid_message");
    expect(error.payload.message).toMatch(/must not start with '-'/);

    // Behind that fence, the runner still puts paths after `--`: call it directly.
    mkdirSync(join(tmp.dir, "-dash-dir"));
    mkdirSync(join(tmp.dir, "--help"));
    writeFileSync(join(tmp.dir, "-dash-dir", "f.txt"), "dash\n");
    writeFileSync(join(tmp.dir, "--help", "g.txt"), "help\n");
    const cwd = process.cwd();
    process.chdir(tmp.dir);
    try {
      await runBackupJob(
        {
          jobId: "dash-direct",
          kind: "backup",
          params: { paths: ["-dash-dir", "--help"], excludes: [], tags: [], sourceGroupId: null },
        },
        agent.context,
      );
    } finally {
      process.chdir(cwd);
    }
    const finished = await waitFinished(server, "dash-direct");
    expect(finished.payload, finished.payload.error ?? "").toMatchObject({ status: "succeeded" });
    const report = await server.waitFor("snapshots.report");
    expect(report.payload.snapshots[0]?.paths.sort()).toEqual([join(tmp.dir, "--help"), join(tmp.dir, "-dash-dir")]);
  }, 60_000);

  it("fails clearly without repository credentials", async () => {
    server = await startFakeServer({ autoAck: true });
    started = await startAgent(server, tmp.dir);
    await server.waitFor("hello");
    sendCommand(server.sessions[0]!, {
      jobId: "no-creds",
      kind: "backup",
      params: { paths: ["/tmp"], excludes: [], tags: [], sourceGroupId: null },
    });
    const finished = await waitFinished(server, "no-creds");
    expect(finished.payload).toMatchObject({ status: "failed", exitCode: null });
    expect(finished.payload.error).toMatch(/no repository credentials yet/);
    expect(jobEvents(server, "no-creds").map((e) => e.type)).toEqual(["job.started", "log.stream", "job.finished"]);
  });
});

describe("cancel and single flight", () => {
  it("refuses a second job while one runs; cancel stops restic's group within 10 s and leaves no lock", async () => {
    initRepo();
    const big = randomTree("big", 10, 30 * 1024 * 1024);
    const { server, session } = await boot();
    sendCommand(session, {
      jobId: "long",
      kind: "backup",
      params: { paths: [big], excludes: [], tags: [], sourceGroupId: null },
    });
    await server.waitUntil(
      () => jobEvents(server, "long").some((e) => e.type === "job.progress"),
      "progress of the long backup",
      30_000,
    );
    expect(resticProcessesUnder(tmp.dir).length).toBeGreaterThan(0);
    expect(existsSync(join(tmp.dir, "restic-processes.json"))).toBe(true);

    sendCommand(session, {
      jobId: "second",
      kind: "backup",
      params: { paths: [big], excludes: [], tags: [], sourceGroupId: null },
    });
    const refused = await waitFinished(server, "second");
    expect(refused.payload).toMatchObject({ seq: 1, status: "failed" });
    expect(refused.payload.error).toBe(
      "this host is already running a backup job (long); the agent runs one job at a time",
    );
    expect(finishedOf(server, "long")).toBeUndefined();

    const cancelAt = Date.now();
    session.send("command.cancel", { jobId: "long" });
    const finished = await waitFinished(server, "long", 15_000);
    expect(Date.now() - cancelAt).toBeLessThan(10_000);
    expect(finished.payload).toMatchObject({ status: "cancelled", summary: null });
    expect(jobLines(server, "long").map((l) => l.line)).toContain("cancel requested: stopping restic");
    expect(resticProcessesUnder(tmp.dir)).toEqual([]);
    // SIGINT first: restic removed its lock on the way out.
    expect(readdirSync(join(repo, "locks"))).toEqual([]);
    expect(existsSync(join(tmp.dir, "restic-processes.json"))).toBe(false);
  }, 120_000);
});

describe("orphaned restic after an agent crash", () => {
  it("stops the restic groups a killed agent left behind, and only those", async () => {
    initRepo();
    const big = randomTree("big", 10, 30 * 1024 * 1024);
    // What a SIGKILLed agent leaves: restic in its own process group, still running, plus the record.
    const orphan = spawn(REAL_RESTIC, ["backup", "--json", "--", big], {
      env: resticEnv(),
      detached: true,
      stdio: "ignore",
    });
    const exited = new Promise<number | null>((r) => orphan.on("exit", (code) => r(code)));
    // An unrelated process whose pid the record also names, but with another start time.
    const bystander = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
    await settle(300);
    const startTicks = (pid: number) => {
      const stat = execFileSync("cat", [`/proc/${pid}/stat`]).toString();
      return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!;
    };
    writeFileSync(
      join(tmp.dir, "restic-processes.json"),
      JSON.stringify({
        version: 1,
        processes: [
          { pid: orphan.pid, jobId: "crashed", startTicks: startTicks(orphan.pid!), agentPid: 1, startedAt: 1 },
          { pid: bystander.pid, jobId: "old", startTicks: "1", agentPid: 1, startedAt: 1 },
        ],
      }),
    );
    try {
      server = await startFakeServer({ autoAck: true, onHello: helloWithRepo(repo, 1) });
      const before = Date.now();
      started = await startAgent(server, tmp.dir);
      await server.waitFor("hello", { timeoutMs: 15_000 });
      // Stopped before the agent even connected.
      expect(await exited).not.toBe(0);
      expect(Date.now() - before).toBeLessThan(7_000);
      expect(resticProcessesUnder(big)).toEqual([]);
      expect(existsSync(join(tmp.dir, "restic-processes.json"))).toBe(false);
      expect(bystander.exitCode).toBeNull();
      expect(started.logs.join("\n")).toMatch(
        /stopping restic \(pid \d+\) left running by a previous agent process for job crashed/,
      );
      // The repository is usable right away: the next backup succeeds.
      sendCommand(server.sessions[0]!, {
        jobId: "after-crash",
        kind: "backup",
        params: { paths: [smallTree()], excludes: [], tags: [], sourceGroupId: null },
      });
      const finished = await waitFinished(server, "after-crash");
      expect(finished.payload, finished.payload.error ?? "").toMatchObject({ status: "succeeded" });
    } finally {
      bystander.kill("SIGKILL");
    }
  }, 90_000);
});
