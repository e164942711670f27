/**
 * The real thing: compiles the agent for this machine with `bun build --compile` and drives the
 * binary, so Bun-specific behaviour (TLS pinning over node:tls, the ws client, crypto, signals)
 * is tested where it runs in production, not only under Node.
 */
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CLOSE_CODES } from "@restic-manager/protocol";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { binaryName, buildAgent, hostTarget } from "../scripts/build.js";
import { loadConfig } from "../src/config.js";
import { SecretsStore } from "../src/secrets.js";
import { helloWithRepo, jobEvents, REPO_PASSWORD, sendCommand, waitFinished } from "./helpers/agent-harness.js";
import { tempDir, writeTestConfig } from "./helpers/config.js";
import { type FakeServer, startFakeServer, tlsFixture } from "./helpers/fake-server.js";

const target = hostTarget();
if (!target) throw new Error(`the agent has no build target for ${process.platform}-${process.arch}`);

const VERSION = "0.1.0-test+binary";
const password = "binary-test repo password";
type TempDir = ReturnType<typeof tempDir>;
let build: TempDir;
let binary: string;
let tmp: TempDir | null = null;
let server: FakeServer | null = null;
let child: ChildProcess | null = null;

beforeAll(async () => {
  build = tempDir("rm-agent-build-");
  const result = await buildAgent({ target, outdir: build.dir, version: VERSION });
  binary = result.path;
  expect(readFileSync(`${binary}.sha256`, "utf8")).toBe(`${result.sha256}  ${binaryName(target)}\n`);
}, 180_000);
afterAll(() => build?.cleanup());

afterEach(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  child = null;
  await server?.close();
  server = null;
  tmp?.cleanup();
  tmp = null;
});

function tmpDir() {
  tmp = tempDir();
  return tmp.dir;
}

const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(binary, args, { env: { PATH: process.env.PATH, ...env }, timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });

function startRun(configPath: string) {
  const proc = spawn(binary, ["run", "--config", configPath], {
    env: { PATH: process.env.PATH },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child = proc;
  let stderr = "";
  proc.stderr!.on("data", (d: Buffer) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return { proc, exited, stderr: () => stderr };
}

describe("compiled agent binary", () => {
  it("prints the version injected at build time", async () => {
    expect(await run(["version"])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(`restic-manager-agent ${VERSION}`);
  });

  it("reports status from a config given by RM_AGENT_CONFIG, without secrets", async () => {
    const dir = tmpDir();
    const { path, config } = writeTestConfig(dir, { resticPath: "/usr/bin/restic" });
    new SecretsStore(config.secretsFile, config.secretsKey, config.hostId).write(5, {
      url: "/srv/restic",
      username: null,
      password,
    });
    const result = await run(["status"], { RM_AGENT_CONFIG: path });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`config:    ${path}`);
    expect(result.stdout).toContain("server:    http://127.0.0.1:9");
    expect(result.stdout).toContain("host id:   host-1");
    expect(result.stdout).toMatch(/restic: {4}0\.\d+\.\d+ at \/usr\/bin\/restic/);
    // The Node-written secrets file opens under Bun: same format, same crypto.
    expect(result.stdout).toMatch(/present, mode 0600, opens with the configured key \(config version 5\)/);
    expect(result.stdout).not.toContain(password);
    expect(result.stdout).not.toContain(config.agentToken);

    const missing = await run(["status", "--config", join(dir, "none.yaml")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Enrol first/);
  });

  it("enrols over TLS only when the pin matches (Bun)", async () => {
    const dir = tmpDir();
    const configPath = join(dir, "agent.yaml");
    server = await startFakeServer({
      tls: true,
      onEnroll: () => ({ status: 201, body: { hostId: "01JBIN", agentToken: "rmat_bin" } }),
    });

    const wrong = await run(["enroll", "--server", server.url, "--token", "t", "--config", configPath], {
      RM_TLS_PIN: "00".repeat(32),
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/TLS pin mismatch: the server presented a certificate with SHA-256 f1747473/);
    const unpinned = await run(["enroll", "--server", server.url, "--token", "t", "--config", configPath]);
    expect(unpinned.code).toBe(1);
    expect(unpinned.stderr).toMatch(/cannot reach/);
    expect(server.requests).toEqual([]);

    const ok = await run(["enroll", "--server", server.url, "--config", configPath, "--tls-pin", tlsFixture.sha256], {
      RM_TOKEN: "rmet_via_env",
    });
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("Enrolled as host 01JBIN");
    expect(server.enrollBodies).toEqual([
      { token: "rmet_via_env", hostname: expect.any(String), os: "linux", arch: target.arch, agentVersion: VERSION },
    ]);
    expect(loadConfig(configPath)).toMatchObject({ hostId: "01JBIN", tlsPinSha256: tlsFixture.sha256 });
  });

  it("prints the server's enrolment error verbatim", async () => {
    const dir = tmpDir();
    server = await startFakeServer({
      onEnroll: () => ({
        status: 409,
        body: { error: { code: "token_used", message: "This enrolment token was already used." } },
      }),
    });
    const result = await run(["enroll", "--server", server.url, "--token", "t", "--config", join(dir, "a.yaml")]);
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: "enrolment failed: This enrolment token was already used.\n",
    });
  });

  it("runs over pinned TLS: hello, credentials into secrets.enc only, then stops for good when revoked", async () => {
    const dir = tmpDir();
    server = await startFakeServer({ tls: true, heartbeatIntervalSeconds: 1 });
    const { path, config } = writeTestConfig(dir, {
      serverUrl: server.url,
      tlsPinSha256: tlsFixture.sha256,
      resticPath: "/usr/bin/restic",
    });
    const agent = startRun(path);

    const hello = await server.waitFor("hello", { timeoutMs: 15_000 });
    expect(hello.payload).toMatchObject({ agentVersion: VERSION, protocolVersion: 1, os: "linux" });
    expect(hello.payload.restic.version).toMatch(/^0\.\d+\.\d+$/);
    expect(hello.payload.restic.error).toBeNull();

    const session = server.sessions[0]!;
    session.send("config.update", { version: 1, repository: { url: "/srv/restic", username: null, password } });
    expect((await server.waitFor("config.ack")).payload).toEqual({ version: 1, error: null });
    await server.waitFor("heartbeat", { timeoutMs: 5_000 });

    const stored = new SecretsStore(config.secretsFile, config.secretsKey, config.hostId).read();
    expect(stored?.repository.password).toBe(password);
    expect(readFileSync(config.secretsFile).includes(Buffer.from(password))).toBe(false);
    expect(readFileSync(path, "utf8")).not.toContain(password);
    expect(readFileSync(`/proc/${agent.proc.pid}/cmdline`, "utf8")).not.toContain(password);

    session.send("error", { code: "revoked", message: "Host revoked by admin at 12:00." });
    session.ws.close(CLOSE_CODES.REVOKED, "revoked");
    expect(await agent.exited).toBe(3);
    expect(agent.stderr()).toMatch(/Host revoked by admin at 12:00\. \(close code 4003\)\. The agent stops/);
    expect(agent.stderr()).not.toContain(password);
    expect(server.sessions).toHaveLength(1);
  });

  it("stops with exit code 3 when the server refuses its token before the upgrade", async () => {
    const dir = tmpDir();
    server = await startFakeServer({ agentToken: "another-token" });
    const { path } = writeTestConfig(dir, { serverUrl: server.url });
    const agent = startRun(path);
    expect(await agent.exited).toBe(3);
    expect(agent.stderr()).toMatch(/refused this agent's token \(HTTP 401\)/);
    expect(server.requests.filter((r) => r.kind === "upgrade")).toHaveLength(1);
  });

  it("never sends the upgrade (or the bearer) to a server failing the pin", async () => {
    const dir = tmpDir();
    server = await startFakeServer({ tls: true });
    const { path, config } = writeTestConfig(dir, { serverUrl: server.url, tlsPinSha256: "11".repeat(32) });
    const agent = startRun(path);
    const deadline = Date.now() + 10_000;
    while (!agent.stderr().includes("TLS pin mismatch") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(agent.stderr()).toMatch(/TLS pin mismatch: .*Nothing was sent.*reconnecting in/);
    expect(agent.stderr()).not.toContain(config.agentToken);
    expect(server.requests).toEqual([]);
  });

  it("stops gracefully on SIGTERM, closing with 1000", async () => {
    const dir = tmpDir();
    server = await startFakeServer();
    const { path } = writeTestConfig(dir, { serverUrl: server.url });
    const agent = startRun(path);
    await server.waitFor("hello", { timeoutMs: 15_000 });
    await new Promise((r) => setTimeout(r, 100));
    agent.proc.kill("SIGTERM");
    expect(await agent.exited).toBe(0);
    expect(await server.sessions[0]!.closed).toEqual({ code: 1000, reason: "agent stopping" });
    expect(agent.stderr()).toContain("SIGTERM received, stopping");
  });

  it("reports a missing restic in hello", async () => {
    const dir = tmpDir();
    server = await startFakeServer();
    const { path } = writeTestConfig(dir, { serverUrl: server.url, resticPath: join(dir, "no-restic") });
    startRun(path);
    const hello = await server.waitFor("hello", { timeoutMs: 15_000 });
    expect(hello.payload.restic).toEqual({
      version: null,
      path: null,
      error: expect.stringMatching(/no-restic from the agent config is not an executable file/),
    });
  });

  it("kill -9 mid-backup: after a restart no restic is left, the spool is replayed and the job is not listed", async () => {
    const dir = tmpDir();
    const repo = join(dir, "repo");
    const env = { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: REPO_PASSWORD };
    execFileSync("/usr/bin/restic", ["init"], { env, stdio: "ignore" });
    const big = join(dir, "big");
    mkdirSync(big);
    for (let i = 0; i < 10; i++) writeFileSync(join(big, `blob-${i}`), randomBytes(30 * 1024 * 1024));
    const small = join(dir, "small");
    mkdirSync(small);
    writeFileSync(join(small, "a.txt"), "a\n");
    const resticUnder = (path: string) =>
      spawnSync("pgrep", ["-af", path], { encoding: "utf8" })
        .stdout.split("\n")
        .filter((l) => l.includes("restic"));

    server = await startFakeServer({ autoAck: true, onHello: helloWithRepo(repo, 1) });
    const { path } = writeTestConfig(dir, { serverUrl: server.url, resticPath: "/usr/bin/restic" });
    const first = startRun(path);
    await server.waitFor("config.ack", { timeoutMs: 15_000 });
    sendCommand(server.sessions[0]!, {
      jobId: "killed",
      kind: "backup",
      params: { paths: [big], excludes: [], tags: [], sourceGroupId: null },
    });
    await server.waitUntil(
      () => jobEvents(server!, "killed").some((e) => e.type === "job.progress"),
      "backup progress",
      30_000,
    );
    first.proc.kill("SIGKILL");
    await first.exited;
    // restic runs in its own process group, so the SIGKILL did not reach it; it dies of SIGPIPE at
    // its next write to the agent's closed stdout, or, if it writes nothing (stuck on a backend),
    // the next agent start stops it (the deterministic case is in jobs.test.ts). Either way the
    // record of it is still there.
    expect(existsSync(join(dir, "restic-processes.json"))).toBe(true);

    const second = startRun(path);
    await server.waitFor("hello", { session: 1, timeoutMs: 15_000 });
    expect(resticUnder(big)).toEqual([]);
    expect(existsSync(join(dir, "restic-processes.json"))).toBe(false);
    const beat = await server.waitFor("heartbeat", { session: 1, timeoutMs: 10_000 });
    expect(beat.payload.runningJobIds).toEqual([]);
    // The killed job's spool was replayed (the server dedupes) before that heartbeat, then deleted.
    const messages = server.sessions[1]!.messages;
    const replayed = messages.filter((m) => "jobId" in m.payload && m.payload.jobId === "killed");
    expect(replayed[0]?.type).toBe("job.started");
    for (const m of replayed) expect(messages.indexOf(m)).toBeLessThan(messages.indexOf(beat));
    await server.waitUntil(() => readdirSync(join(dir, "spool")).length === 0, "the spool to empty", 5_000);
    expect(second.stderr()).toMatch(/found 1 job spool\(s\) from a previous run/);

    // The repository is free: the next backup succeeds.
    sendCommand(server.sessions[1]!, {
      jobId: "next",
      kind: "backup",
      params: { paths: [small], excludes: [], tags: [], sourceGroupId: null },
    });
    const finished = await waitFinished(server, "next", 60_000);
    expect(finished.payload, finished.payload.error ?? "").toMatchObject({ status: "succeeded", exitCode: 0 });
  }, 120_000);

  it("runs hooks, bandwidth caps and the maintenance jobs (Bun)", async () => {
    const dir = tmpDir();
    const repo = join(dir, "repo");
    const env = { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: REPO_PASSWORD };
    execFileSync("/usr/bin/restic", ["init"], { env, stdio: "ignore" });
    const data = join(dir, "data");
    mkdirSync(data);
    writeFileSync(join(data, "a.txt"), "a\n");
    const postOut = join(dir, "post.out");
    server = await startFakeServer({ autoAck: true, onHello: helloWithRepo(repo, 1) });
    const { path } = writeTestConfig(dir, { serverUrl: server.url, resticPath: "/usr/bin/restic" });
    startRun(path);
    await server.waitFor("config.ack", { timeoutMs: 15_000 });
    const session = server.sessions[0]!;
    const lines = (jobId: string) =>
      jobEvents(server!, jobId).flatMap((e) => (e.type === "log.stream" ? e.payload.lines.map((l) => l.line) : []));
    for (const jobId of ["b1", "b2"]) {
      sendCommand(session, {
        jobId,
        kind: "backup",
        limits: { uploadKbps: 4096, downloadKbps: null },
        params: {
          paths: [data],
          excludes: [],
          tags: ["g1"],
          sourceGroupId: "g1",
          hooks: {
            pre: "echo pre $RM_JOB_ID; env | grep -c ^RESTIC_ || true",
            post: `echo "$RM_JOB_STATUS" >> '${postOut}'`,
            timeoutSeconds: 30,
          },
        },
      });
      const finished = await waitFinished(server, jobId, 60_000);
      expect(finished.payload, finished.payload.error ?? "").toMatchObject({ status: "succeeded" });
      expect(lines(jobId)).toEqual(
        expect.arrayContaining([
          `hook(pre): pre ${jobId}`,
          "hook(pre): 0",
          `$ restic --limit-upload 4096 backup --json -v --tag=g1 -- ${data}`,
        ]),
      );
    }
    expect(readFileSync(postOut, "utf8")).toBe("succeeded\nsucceeded\n");
    const keep = {
      keepHourly: null,
      keepDaily: null,
      keepWeekly: null,
      keepMonthly: null,
      keepYearly: null,
      keepWithin: null,
    };
    sendCommand(session, { jobId: "f1", kind: "forget", params: { ...keep, keepLast: 1, tags: ["g1"], prune: true } });
    const forget = await waitFinished(server, "f1", 60_000);
    expect(forget.payload, forget.payload.error ?? "").toMatchObject({
      status: "succeeded",
      summary: { snapshotsKept: 1, snapshotsRemoved: 1 },
    });
    sendCommand(session, { jobId: "c1", kind: "check", params: { readDataSubset: "100%" } });
    expect((await waitFinished(server, "c1", 60_000)).payload.status).toBe("succeeded");
    sendCommand(session, { jobId: "u1", kind: "unlock", params: { removeAll: false } });
    expect((await waitFinished(server, "u1", 60_000)).payload.status).toBe("succeeded");
  }, 120_000);
});
