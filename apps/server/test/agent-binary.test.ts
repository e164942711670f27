/**
 * The real compiled agent against a real server on loopback: enrol, come online with its
 * versions, go offline when killed, and come back by itself after a server restart.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AGENT_BINARY, AgentProcess, REPO_ROOT } from "@restic-manager/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootServer, createEnrollment, removeDir, signedInAdmin, type TestClient, type TestServer } from "./harness.js";

const CANARY = "agent-canary-Pa55-9d1e";
const FAST = { gateway: { heartbeatIntervalSeconds: 1 }, offlineAfterMs: 3000 };

let server: TestServer;
let admin: TestClient;
let agent: AgentProcess;

beforeAll(() => {
  if (!existsSync(AGENT_BINARY)) {
    // `npm test` builds first; a lone `vitest run` builds the agent here rather than skipping.
    const res = spawnSync("npm", ["run", "build", "-w", "apps/agent"], { cwd: REPO_ROOT, stdio: "inherit" });
    if (res.status !== 0) throw new Error("could not build the agent binary");
  }
  // AgentProcess runs the binary asynchronously: the server under test lives in this process.
  agent = new AgentProcess(mkdtempSync(join(tmpdir(), "rm-agent-")));
}, 300_000);

afterAll(async () => {
  await agent?.stop("SIGKILL");
  await server?.close();
  if (server) removeDir(server.dataDir);
  removeDir(agent.dir);
});

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

    const res = await agent.enroll(server.listenUrl, token);
    expect(res.stderr + res.stdout).not.toContain(CANARY);
    expect(res.status, res.stderr).toBe(0);
    const hosts = (await admin.query("hosts.list")).body.result?.data as { items: { id: string }[] } | undefined;
    expect(hosts?.items).toHaveLength(1);
    hostId = hosts?.items[0]?.id ?? "";

    const again = await agent.exec(["enroll", "--server", server.listenUrl, "--force"], {
      RM_TOKEN: token,
      RM_AGENT_CONFIG: join(agent.dir, "other.yaml"),
    });
    expect(again.status, again.stderr).not.toBe(0);
    expect(again.stderr).toMatch(/already used/);
  });

  it("comes online with its versions, and keeps the repository password only in secrets.enc", async () => {
    const child = agent.start();
    await expect.poll(async () => (await hostStatus(hostId)).status, { timeout: 20_000 }).toBe("online");
    const host = await hostStatus(hostId);
    expect(host.agentVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(host.resticVersion).toMatch(/^0\.\d+\.\d+/);

    // Wait for the config.update to land in the secrets file.
    await expect.poll(() => existsSync(join(agent.dir, "secrets.enc")), { timeout: 10_000 }).toBe(true);
    for (const file of readdirSync(agent.dir, { recursive: true }) as string[]) {
      const path = join(agent.dir, file);
      if (!statSync(path).isFile()) continue;
      expect(readFileSync(path).includes(Buffer.from(CANARY)), `${file} contains the password`).toBe(false);
    }
    expect(statSync(join(agent.dir, "secrets.enc")).mode & 0o777).toBe(0o600);
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, "utf8");
    expect(cmdline).not.toContain(CANARY);
    expect(cmdline).not.toContain(token);
    expect(agent.output.join("")).not.toContain(CANARY);
    expect(server.logs.join("\n")).not.toContain(CANARY);
  }, 60_000);

  it("goes offline when the agent dies, and is back online after a server restart without help", async () => {
    await agent.stop("SIGKILL");
    await expect.poll(async () => (await hostStatus(hostId)).status, { timeout: 10_000 }).toBe("offline");

    agent.start();
    await expect.poll(async () => (await hostStatus(hostId)).status, { timeout: 20_000 }).toBe("online");

    const port = new URL(server.listenUrl).port;
    const dataDir = server.dataDir;
    await server.close();
    server = await bootServer({ dataDir, env: { RM_LISTEN: `127.0.0.1:${port}` }, start: FAST });
    await expect.poll(async () => (await hostStatus(hostId)).status, { timeout: 30_000 }).toBe("online");
  }, 90_000);
});
