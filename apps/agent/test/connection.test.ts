import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { CLOSE_CODES, PROTOCOL_VERSION } from "@restic-manager/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Agent, createAgent } from "../src/agent.js";
import { Backoff } from "../src/backoff.js";
import type { AgentConfig } from "../src/config.js";
import { agentSocketUrl, type RunOutcome } from "../src/connection.js";
import { createLogger } from "../src/log.js";
import { SecretsStore } from "../src/secrets.js";
import { tempDir, testConfig } from "./helpers/config.js";
import { type FakeServer, type FakeServerOptions, startFakeServer, tlsFixture } from "./helpers/fake-server.js";

const restic = { version: "0.14.0", path: "/usr/bin/restic", error: null };
const password = "correct horse battery staple";

let tmp: ReturnType<typeof tempDir>;
let server: FakeServer | null;
let agent: Agent | null;
let logLines: string[];

beforeEach(() => {
  tmp = tempDir();
  server = null;
  agent = null;
  logLines = [];
});
afterEach(async () => {
  await agent?.stop();
  await server?.close();
  tmp.cleanup();
});

async function start(serverOptions: FakeServerOptions = {}, configOverrides: Partial<AgentConfig> = {}) {
  server = await startFakeServer(serverOptions);
  const config = testConfig(tmp.dir, { serverUrl: server.url, ...configOverrides });
  agent = createAgent({
    config,
    log: createLogger("test", { level: "debug", write: (line) => logLines.push(line) }),
    // Fast reconnects keep the tests quick; the maths is covered in backoff.test.ts.
    backoff: new Backoff({ baseMs: 20, maxMs: 100 }),
    locate: async () => restic,
  });
  const outcome = agent.run();
  return { server, agent, config, outcome };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("agent connection", () => {
  it("builds the socket URL from the server URL", () => {
    expect(agentSocketUrl("https://backup.example.com").href).toBe("wss://backup.example.com/ws/agent");
    expect(agentSocketUrl("http://10.0.0.5:8080/rm").href).toBe("ws://10.0.0.5:8080/rm/ws/agent");
  });

  it("authenticates with the bearer and subprotocol, says hello with its versions, then heartbeats", async () => {
    const { server, config } = await start({ heartbeatIntervalSeconds: 1 });
    const hello = await server.waitFor("hello");
    expect(hello.payload).toMatchObject({
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: "0.0.0-dev",
      os: "linux",
      arch: process.arch,
      restic,
    });
    expect(hello.payload.hostname.length).toBeGreaterThan(0);
    const upgrade = server.requests.find((r) => r.kind === "upgrade");
    expect(upgrade?.headers.authorization).toBe(`Bearer ${config.agentToken}`);
    expect(upgrade?.headers["sec-websocket-protocol"]).toBe("restic-manager.agent.v1");
    expect(upgrade?.path).toBe("/ws/agent");

    const heartbeat = await server.waitFor("heartbeat", { timeoutMs: 3_000 });
    expect(heartbeat.payload.runningJobIds).toEqual([]);
    expect(Math.abs(heartbeat.payload.at - Date.now())).toBeLessThan(5_000);
    expect(logLines.join("\n")).toContain("connected as host host-1 (server 9.9.9-test, protocol 1)");
  });

  it("stores config.update in the secrets file only, and acks it", async () => {
    const { server, config } = await start();
    await server.waitFor("hello");
    server.sessions[0]!.send("config.update", {
      version: 7,
      repository: { url: "sftp:backup@nas:/srv/restic", username: null, password },
    });
    const ack = await server.waitFor("config.ack");
    expect(ack.payload).toEqual({ version: 7, error: null });

    const stored = new SecretsStore(config.secretsFile, config.secretsKey, config.hostId).read();
    expect(stored?.repository.password).toBe(password);
    expect(stored?.version).toBe(7);
    expect(statSync(config.secretsFile).mode & 0o777).toBe(0o600);
    // No file anywhere under the agent's directory holds the password in clear.
    for (const name of readdirSync(tmp.dir, { recursive: true }) as string[]) {
      const path = join(tmp.dir, name);
      if (statSync(path).isFile()) expect(readFileSync(path, "utf8"), name).not.toContain(password);
    }
    expect(logLines.join("\n")).not.toContain(password);
  });

  it("acks a config.update it cannot store with the reason", async () => {
    // The secrets file path is a directory: the write fails.
    const { server } = await start({}, { secretsFile: tmp.dir });
    await server.waitFor("hello");
    server.sessions[0]!.send("config.update", { version: 2, repository: { url: "/srv/r", username: null, password } });
    const ack = await server.waitFor("config.ack");
    expect(ack.payload.version).toBe(2);
    expect(ack.payload.error).toMatch(/cannot store the repository credentials/);
    expect(ack.payload.error).not.toContain(password);
  });

  it("stops for good on 4003 revoked, printing the server's reason", async () => {
    const { server, outcome } = await start({
      onHello: (session) => {
        session.send("error", { code: "revoked", message: "This host was revoked by admin." });
        session.ws.close(CLOSE_CODES.REVOKED, "revoked");
      },
    });
    const result = (await outcome) as Extract<RunOutcome, { kind: "fatal" }>;
    expect(result).toMatchObject({ kind: "fatal", exitCode: 3, closeCode: 4003 });
    expect(result.message).toContain("This host was revoked by admin.");
    expect(result.message).toContain("will not reconnect");
    await settle(300);
    expect(server.sessions).toHaveLength(1);
  });

  it("stops on 4001 protocol too old with the server's message", async () => {
    const { server, outcome } = await start({
      onHello: (session) => {
        session.send("error", { code: "protocol_too_old", message: "agent protocol 1 < 2: upgrade the agent" });
        session.ws.close(CLOSE_CODES.PROTOCOL_TOO_OLD, "protocol_too_old");
      },
    });
    const result = (await outcome) as Extract<RunOutcome, { kind: "fatal" }>;
    expect(result).toMatchObject({ kind: "fatal", exitCode: 4, closeCode: 4001 });
    expect(result.message).toMatch(/agent protocol 1 < 2: upgrade the agent .*Upgrade the agent: re-run the install/);
    await settle(300);
    expect(server.sessions).toHaveLength(1);
  });

  it("stops when the server refuses the token before the upgrade (401)", async () => {
    const { server, outcome } = await start({ agentToken: "the-server-knows-another-token" });
    const result = (await outcome) as Extract<RunOutcome, { kind: "fatal" }>;
    expect(result).toMatchObject({ kind: "fatal", exitCode: 3, closeCode: null });
    expect(result.message).toMatch(/refused this agent's token \(HTTP 401\)/);
    await settle(300);
    expect(server.requests.filter((r) => r.kind === "upgrade")).toHaveLength(1);
  });

  it("reconnects after the server drops the socket, and says hello again", async () => {
    const { server, agent } = await start();
    await server.waitFor("hello");
    server.sessions[0]!.ws.terminate();
    await server.waitFor("hello", { after: 1 });
    expect(server.sessions).toHaveLength(2);
    await settle(50);
    expect(agent.connection.sessions).toBe(2);
  });

  it("reconnects after the server went away and came back on the same port", async () => {
    const first = await start();
    await first.server.waitFor("hello");
    const port = first.server.port;
    await first.server.close();
    await settle(200);
    // The agent keeps retrying with backoff while nothing listens.
    expect(logLines.join("\n")).toMatch(/ECONNREFUSED|connection lost/);
    server = await startFakeServerOnPort(port);
    await server.waitFor("hello", { timeoutMs: 5_000 });
  });

  it("drops a server that stops answering pings and reconnects", async () => {
    const { server } = await start({ heartbeatIntervalSeconds: 1 });
    await server.waitFor("hello");
    // The server process hangs: it stops reading its socket, so no pong comes back.
    (server.sessions[0]!.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await server.waitForSessions(2, 8_000);
    await server.waitFor("hello", { after: 1 });
    expect(logLines.join("\n")).toMatch(/the server has been silent for \d+ s/);
  }, 15_000);

  it("backs off and reconnects when replaced by a newer connection (4000)", async () => {
    let hellos = 0;
    const { server, outcome } = await start({
      onHello: (session) => {
        hellos++;
        if (hellos === 1) session.ws.close(CLOSE_CODES.REPLACED, "replaced");
        else
          session.send("hello.ok", {
            hostId: "host-1",
            serverVersion: "t",
            protocolVersion: 1,
            heartbeatIntervalSeconds: 30,
          });
      },
    });
    await server.waitForSessions(2);
    await server.waitFor("hello", { after: 1 });
    expect(logLines.join("\n")).toMatch(/replaced by a newer connection .*reconnecting in/);
    let settled = false;
    void outcome.then(() => {
      settled = true;
    });
    await settle(50);
    expect(settled).toBe(false);
  });

  it("closes with 1000 when stopped, and run() resolves as stopped", async () => {
    const { server, agent, outcome } = await start();
    await server.waitFor("hello");
    await settle(20);
    await agent.stop();
    expect(await outcome).toEqual({ kind: "stopped" });
    expect(await server.sessions[0]!.closed).toEqual({ code: 1000, reason: "agent stopping" });
  });

  it("answers rpc requests, fails unsupported jobs fast and reports unknown cancels", async () => {
    const { server } = await start();
    await server.waitFor("hello");
    const session = server.sessions[0]!;
    session.send("rpc.request", { id: "r1", method: "agent.ping", params: null });
    session.send("rpc.request", { id: "r2", method: "fs.nothing", params: {} });
    session.send("command.run", {
      jobId: "job-1",
      kind: "diff",
      params: { snapshotA: "latest", snapshotB: "latest" },
    });
    session.send("command.cancel", { jobId: "job-404" });

    await server.waitFor("rpc.response", { after: 1 });
    const responses = server.sessions[0]!.messages.filter((m) => m.type === "rpc.response");
    expect(responses.find((m) => m.payload.id === "r1")?.payload).toMatchObject({
      ok: true,
      result: { agentVersion: "0.0.0-dev" },
    });
    expect(responses.find((m) => m.payload.id === "r2")?.payload).toMatchObject({
      ok: false,
      error: { code: "unknown_method" },
    });
    const finished = await server.waitFor("job.finished");
    expect(finished.payload).toMatchObject({ jobId: "job-1", seq: 1, status: "failed", exitCode: null });
    expect(finished.payload.error).toMatch(/cannot run diff jobs yet/);
    const error = await server.waitFor("error");
    expect(error.payload).toEqual({ code: "unknown_job", message: "no running job job-404 to cancel" });
  });

  it("reports a malformed server frame and keeps the session", async () => {
    const { server, agent } = await start();
    await server.waitFor("hello");
    const session = server.sessions[0]!;
    session.ws.send("{not json");
    session.ws.send(JSON.stringify({ type: "command.run", payload: { jobId: "j", kind: "backup", params: {} } }));
    const first = await server.waitFor("error");
    expect(first.payload.code).toBe("invalid_json");
    const second = await server.waitFor("error", { after: 1 });
    expect(second.payload.code).toBe("invalid_message");
    session.send("rpc.request", { id: "after", method: "agent.ping", params: null });
    expect((await server.waitFor("rpc.response")).payload.id).toBe("after");
    expect(agent.connection.sessions).toBe(1);
  });
});

describe("TLS pin", () => {
  it("connects over wss when the pin matches a self-signed certificate", async () => {
    const { server } = await start({ tls: true }, { tlsPinSha256: tlsFixture.sha256 });
    expect(server.url).toMatch(/^https:/);
    const hello = await server.waitFor("hello");
    expect(hello.payload.protocolVersion).toBe(PROTOCOL_VERSION);
  });

  it("sends nothing, not even the upgrade request, to a server failing the pin", async () => {
    const { server, agent, config } = await start({ tls: true }, { tlsPinSha256: "00".repeat(32) });
    await waitForLog(/TLS pin mismatch: the server presented a certificate with SHA-256 f1747473/);
    await agent.stop();
    expect(server.requests).toEqual([]);
    expect(logLines.join("\n")).not.toContain(config.agentToken);
  });

  it("without a pin, refuses a certificate no CA vouches for", async () => {
    const { server, agent } = await start({ tls: true }, { tlsPinSha256: null });
    await waitForLog(/self[- ]signed|unable to verify|certificate/i);
    await agent.stop();
    expect(server.requests).toEqual([]);
  });
});

async function waitForLog(pattern: RegExp, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (logLines.some((l) => pattern.test(l))) return;
    await settle(20);
  }
  throw new Error(`no log line matched ${pattern}:\n${logLines.join("\n")}`);
}

async function startFakeServerOnPort(port: number): Promise<FakeServer> {
  // Ports are reused only if free again; retry briefly in case the old socket lingers.
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      return await startFakeServer({ port });
    } catch {
      await settle(50);
    }
  }
  throw new Error(`port ${port} did not free up`);
}
