/**
 * The real compiled agent against a real server on loopback: enrol, come online with its
 * versions, go offline when killed, and come back by itself after a server restart.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootServer, createEnrollment, removeDir, signedInAdmin, type TestClient, type TestServer } from "./harness.js";

const ROOT = resolve(import.meta.dirname, "../../..");
const BINARY = join(ROOT, "apps/agent/bin", `restic-manager-agent-linux-${process.arch === "arm64" ? "arm64" : "x64"}`);
const CANARY = "agent-canary-Pa55-9d1e";
const FAST = { gateway: { heartbeatIntervalSeconds: 1 }, offlineAfterMs: 3000 };

let server: TestServer;
let admin: TestClient;
let agentDir: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  if (!existsSync(BINARY)) {
    // `npm test` builds first; a lone `vitest run` builds the agent here rather than skipping.
    const res = spawnSync("npm", ["run", "build", "-w", "apps/agent"], { cwd: ROOT, stdio: "inherit" });
    if (res.status !== 0) throw new Error("could not build the agent binary");
  }
  agentDir = mkdtempSync(join(tmpdir(), "rm-agent-"));
}, 300_000);

afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await server?.close();
  if (server) removeDir(server.dataDir);
  removeDir(agentDir);
});

const agentEnv = (extra: Record<string, string> = {}) => ({
  ...process.env,
  RM_AGENT_CONFIG: join(agentDir, "agent.yaml"),
  RM_AGENT_LOG_FORMAT: "json",
  ...extra,
});

/** Async on purpose: the server under test runs in this process, so spawnSync would starve it. */
function runAgent(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(BINARY, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("exit", (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
  });
}

function startAgent(): { child: ChildProcess; output: string[] } {
  const output: string[] = [];
  const child = spawn(BINARY, ["run"], { env: agentEnv(), stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (d: Buffer) => output.push(d.toString()));
  child.stderr?.on("data", (d: Buffer) => output.push(d.toString()));
  children.push(child);
  return { child, output };
}

async function hostStatus(hostId: string) {
  const res = await admin.query("hosts.get", { hostId });
  return res.body.result?.data as { status: string; agentVersion: string; resticVersion: string | null };
}

describe("compiled agent", () => {
  let hostId = "";
  let token = "";

  it("enrols with the token from the environment and prints the server's refusal for a reused token", async () => {
    server = await bootServer({ start: FAST });
    admin = await signedInAdmin(server);
    ({ token } = await createEnrollment(admin, "agent-host", CANARY));

    const res = await runAgent(["enroll", "--server", server.listenUrl], agentEnv({ RM_TOKEN: token }));
    expect(res.stderr + res.stdout).not.toContain(CANARY);
    expect(res.status, res.stderr).toBe(0);
    const hosts = (await admin.query("hosts.list")).body.result?.data as { id: string }[];
    expect(hosts).toHaveLength(1);
    hostId = hosts[0]?.id ?? "";

    const again = await runAgent(
      ["enroll", "--server", server.listenUrl, "--force"],
      agentEnv({ RM_TOKEN: token, RM_AGENT_CONFIG: join(agentDir, "other.yaml") }),
    );
    expect(again.status, again.stderr).not.toBe(0);
    expect(again.stderr).toMatch(/already used/);
  });

  it("comes online with its versions, and keeps the repository password only in secrets.enc", async () => {
    const agent = startAgent();
    await expect.poll(async () => (await hostStatus(hostId)).status, { timeout: 20_000 }).toBe("online");
    const host = await hostStatus(hostId);
    expect(host.agentVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(host.resticVersion).toMatch(/^0\.\d+\.\d+/);

    // Wait for the config.update to land in the secrets file.
    await expect.poll(() => existsSync(join(agentDir, "secrets.enc")), { timeout: 10_000 }).toBe(true);
    for (const file of readdirSync(agentDir, { recursive: true }) as string[]) {
      const path = join(agentDir, file);
      if (!statSync(path).isFile()) continue;
      expect(readFileSync(path).includes(Buffer.from(CANARY)), `${file} contains the password`).toBe(false);
    }
    expect(statSync(join(agentDir, "secrets.enc")).mode & 0o777).toBe(0o600);
    const cmdline = readFileSync(`/proc/${agent.child.pid}/cmdline`, "utf8");
    expect(cmdline).not.toContain(CANARY);
    expect(cmdline).not.toContain(token);
    expect(agent.output.join("")).not.toContain(CANARY);
    expect(server.logs.join("\n")).not.toContain(CANARY);
  }, 60_000);

  it("goes offline when the agent dies, and is back online after a server restart without help", async () => {
    const running = children.at(-1);
    running?.kill("SIGKILL");
    await expect.poll(async () => (await hostStatus(hostId)).status, { timeout: 10_000 }).toBe("offline");

    startAgent();
    await expect.poll(async () => (await hostStatus(hostId)).status, { timeout: 20_000 }).toBe("online");

    const port = new URL(server.listenUrl).port;
    const dataDir = server.dataDir;
    await server.close();
    server = await bootServer({ dataDir, env: { RM_LISTEN: `127.0.0.1:${port}` }, start: FAST });
    await expect.poll(async () => (await hostStatus(hostId)).status, { timeout: 30_000 }).toBe("online");
  }, 90_000);
});
