import {
  AGENT_SUBPROTOCOL,
  CLOSE_CODES,
  createAgentMessage,
  PROTOCOL_VERSION,
  parseServerMessage,
  type ServerMessage,
} from "@restic-manager/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { StartOptions } from "../src/app.js";
import { bootServer, createEnrollment, enroll, removeDir, signedInAdmin, type TestServer } from "./harness.js";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    await s.close();
    removeDir(s.dataDir);
  }
});

async function boot(start?: StartOptions) {
  const s = await bootServer({ start });
  servers.push(s);
  return s;
}

const hello = (protocolVersion = PROTOCOL_VERSION) =>
  createAgentMessage("hello", {
    protocolVersion,
    agentVersion: "0.1.0-test",
    hostname: "web-01.example.test",
    os: "linux",
    arch: "x64",
    restic: { version: "0.14.0", path: "/usr/bin/restic", error: null },
  });

/** A bare protocol client that records what the server sends and how the socket closed. */
function connect(server: TestServer, bearer: string, protocol: string = AGENT_SUBPROTOCOL) {
  const ws = new WebSocket(`${server.listenUrl.replace("http", "ws")}/ws/agent`, protocol, {
    headers: { authorization: `Bearer ${bearer}` },
  });
  const received: ServerMessage[] = [];
  const waiters: (() => void)[] = [];
  ws.on("message", (d) => {
    const parsed = parseServerMessage(d.toString());
    if (parsed.ok) received.push(parsed.message);
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((r) =>
    ws.on("close", (code, reason) => r({ code, reason: reason.toString() })),
  );
  const opened = new Promise<void>((r, f) => {
    ws.on("open", () => r());
    ws.on("unexpected-response", (_req, res) => f(new Error(`HTTP ${res.statusCode}`)));
    ws.on("error", f);
  });
  const next = async (type: ServerMessage["type"]) => {
    for (;;) {
      const found = received.find((m) => m.type === type);
      if (found) return found;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { ws, received, closed, opened, next };
}

async function enrolledHost(server: TestServer, repoPassword = "repo-secret") {
  const admin = await signedInAdmin(server);
  const { token } = await createEnrollment(admin, "web-01", repoPassword);
  const res = await enroll(server.listenUrl, token);
  expect(res.status).toBe(200);
  return { admin, hostId: res.body.hostId ?? "", agentToken: res.body.agentToken ?? "" };
}

describe("enrolment", () => {
  it("exchanges a token for a host with a default source group; 1 of 50 concurrent attempts wins", async () => {
    const server = await boot();
    const admin = await signedInAdmin(server);
    const { token } = await createEnrollment(admin);
    const results = await Promise.all(Array.from({ length: 50 }, () => enroll(server.listenUrl, token)));
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.body.error?.code === "token_used")).toHaveLength(49);
    const hosts = await server.core.hosts.list();
    expect(hosts.items).toHaveLength(1);
    expect(hosts.total).toBe(1);
    const groups = await server.core.db.query.sourceGroups.findMany();
    expect(groups.map((g) => g.name)).toEqual(["default"]);
  });

  it("explains an empty, unknown and expired token and a revoked host", async () => {
    const server = await boot();
    const admin = await signedInAdmin(server);

    const empty = await enroll(server.listenUrl, "  ");
    expect(empty.body.error).toMatchObject({ code: "token_empty" });
    expect(empty.body.error?.message).toMatch(/empty/);

    const unknown = await enroll(server.listenUrl, "rme_nope");
    expect(unknown.body.error?.code).toBe("token_invalid");

    const { token, id } = await createEnrollment(admin);
    const { enrollmentTokens } = await import("@restic-manager/db");
    const { eq } = await import("drizzle-orm");
    await server.core.db
      .update(enrollmentTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(enrollmentTokens.id, id));
    const expired = await enroll(server.listenUrl, token);
    expect(expired.status).toBe(410);
    expect(expired.body.error?.message).toMatch(/expired/);

    const second = await createEnrollment(admin, "db-01");
    const ok = await enroll(server.listenUrl, second.token);
    await admin.call("hosts.revoke", { hostId: ok.body.hostId });
    const revoked = await enroll(server.listenUrl, second.token);
    expect(revoked.body.error?.code).toBe("host_revoked");
    expect(revoked.body.error?.message).toMatch(/revoked/);
  });

  it("keeps the repository password encrypted and out of API answers", async () => {
    const server = await boot();
    const { admin, hostId } = await enrolledHost(server, "canary-enrol-pw-123");
    const creds = await admin.query("hosts.credentials", { hostId });
    expect(creds.body.result?.data).toEqual({
      url: "/srv/restic/web-01",
      username: null,
      hasPassword: true,
      admin: null,
    });
    const all = [await admin.query("hosts.list"), await admin.query("hosts.get", { hostId }), creds];
    for (const r of all) expect(r.text).not.toContain("canary-enrol-pw-123");
    const audit = await admin.query("audit.list", {});
    expect(audit.text).not.toContain("canary-enrol-pw-123");
    expect(server.logs.join("\n")).not.toContain("canary-enrol-pw-123");
  });
});

describe("gateway", () => {
  it("refuses a bad bearer with 401 before the upgrade, and another subprotocol with 400", async () => {
    const server = await boot();
    await expect(connect(server, "rma_wrong").opened).rejects.toThrow(/401/);
    const { agentToken } = await enrolledHost(server);
    await expect(connect(server, agentToken, "something-else").opened).rejects.toThrow(/400/);
  });

  it("refuses upgrades past the per-address cap with 503, and logs refusals once per interval with a count", async () => {
    const server = await boot({ gateway: { maxPendingUpgradesPerAddress: 1, logIntervalMs: 60_000 } });
    const { agentToken } = await enrolledHost(server);
    // A console too busy to check tokens quickly: each check takes 200 ms.
    const check = server.core.hosts.authenticateAgent.bind(server.core.hosts);
    server.core.hosts.authenticateAgent = (bearer) => new Promise((r) => setTimeout(r, 200)).then(() => check(bearer));
    // Twenty at once from one address: those arriving while another is checked are refused
    // without a database read.
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => connect(server, agentToken).opened));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThan(20);
    for (const r of refused) expect(String(r.reason)).toMatch(/503/);
    for (let i = 0; i < 20; i++) await expect(connect(server, "rma_wrong").opened).rejects.toThrow(/401/);
    const lines = server.logs.filter((l) => l.includes("agent upgrade refused"));
    expect(lines).toHaveLength(1);
    expect(server.gateway.stats().refusedUpgrades).toBe(refused.length + 20);
  });

  it("hello flips the host online with its versions and pushes the credentials in config.update", async () => {
    const server = await boot();
    const { admin, hostId, agentToken } = await enrolledHost(server, "pushed-secret");
    const agent = connect(server, agentToken);
    await agent.opened;
    agent.ws.send(hello());
    const ok = await agent.next("hello.ok");
    expect(ok.payload).toMatchObject({ hostId, protocolVersion: PROTOCOL_VERSION });
    const config = await agent.next("config.update");
    expect(config.payload).toMatchObject({ repository: { url: "/srv/restic/web-01", password: "pushed-secret" } });
    agent.ws.send(createAgentMessage("config.ack", { version: 1, error: null }));

    const host = (await admin.query("hosts.get", { hostId })).body.result?.data as Record<string, unknown>;
    expect(host).toMatchObject({ status: "online", agentVersion: "0.1.0-test", resticVersion: "0.14.0", os: "linux" });

    // Editing the credentials pushes them again.
    await admin.call("hosts.updateCredentials", { hostId, repoUrl: "/srv/restic/moved", repoPassword: "" });
    await expect.poll(() => agent.received.filter((m) => m.type === "config.update").length).toBe(2);
    const latest = agent.received.filter((m) => m.type === "config.update").at(-1);
    expect(latest?.payload).toMatchObject({
      version: 2,
      repository: { url: "/srv/restic/moved", password: "pushed-secret" },
    });
    agent.ws.close();
  });

  it("does not resend config and schedules an agent reports holding, and resends what it lacks", async () => {
    const server = await boot();
    const { agentToken } = await enrolledHost(server);
    const helloHolding = (held: { configVersion: number | null; scheduleVersion: number | null }) =>
      JSON.stringify({ ...JSON.parse(hello()), payload: { ...JSON.parse(hello()).payload, held } });

    const first = connect(server, agentToken);
    await first.opened;
    first.ws.send(hello());
    type Versioned = { payload: { version: number } };
    const config = (await first.next("config.update")) as Versioned;
    const schedules = (await first.next("schedule.set")) as Versioned;
    first.ws.send(createAgentMessage("config.ack", { version: config.payload.version, error: null }));
    first.ws.send(createAgentMessage("schedule.ack", { version: schedules.payload.version, error: null }));
    await new Promise((r) => setTimeout(r, 200));
    first.ws.close();

    const holding = connect(server, agentToken);
    await holding.opened;
    holding.ws.send(
      helloHolding({ configVersion: config.payload.version, scheduleVersion: schedules.payload.version }),
    );
    await holding.next("hello.ok");
    await new Promise((r) => setTimeout(r, 300));
    expect(holding.received.map((m) => m.type)).not.toContain("config.update");
    expect(holding.received.map((m) => m.type)).not.toContain("schedule.set");
    holding.ws.close();

    // An agent whose secrets file was lost (or an older set) gets them again.
    const lacking = connect(server, agentToken);
    await lacking.opened;
    lacking.ws.send(helloHolding({ configVersion: null, scheduleVersion: schedules.payload.version - 1 }));
    expect(((await lacking.next("config.update")) as Versioned).payload.version).toBe(config.payload.version);
    expect(((await lacking.next("schedule.set")) as Versioned).payload.version).toBe(schedules.payload.version);
    lacking.ws.close();
  });

  it("records a missing restic reported in hello, so the host page can show it", async () => {
    const server = await boot();
    const { admin, hostId, agentToken } = await enrolledHost(server);
    const agent = connect(server, agentToken);
    await agent.opened;
    agent.ws.send(
      createAgentMessage("hello", {
        protocolVersion: PROTOCOL_VERSION,
        agentVersion: "0.1.0-test",
        hostname: "web-01.example.test",
        os: "linux",
        arch: "x64",
        restic: { version: null, path: null, error: "restic was not found on PATH; install it or set resticPath" },
      }),
    );
    await agent.next("hello.ok");
    const host = (await admin.query("hosts.get", { hostId })).body.result?.data as Record<string, unknown>;
    expect(host).toMatchObject({
      status: "online",
      resticVersion: null,
      resticError: expect.stringMatching(/not found/),
    });
    agent.ws.close();
  });

  it("rejects a too-old protocol cleanly with an error the agent can print", async () => {
    const server = await boot();
    const { agentToken } = await enrolledHost(server);
    const agent = connect(server, agentToken);
    await agent.opened;
    agent.ws.send(hello(0));
    const closed = await agent.closed;
    expect(closed.code).toBe(CLOSE_CODES.PROTOCOL_TOO_OLD);
    const err = agent.received.find((m) => m.type === "error");
    expect(err?.payload).toMatchObject({ code: "protocol_too_old" });
  });

  it("closes invalid JSON with 1007, schema violations with 1008, oversized frames with 1009", async () => {
    const server = await boot();
    const { agentToken } = await enrolledHost(server);
    const cases: [string | Buffer, number][] = [
      ["{not json", 1007],
      [JSON.stringify({ type: "hello", payload: { protocolVersion: "one" } }), 1008],
      [JSON.stringify({ type: "heartbeat", payload: { at: 1, runningJobIds: [] } }), 1008], // before hello
      [Buffer.alloc(1024 * 1024 + 1, 0x61), 1009],
    ];
    for (const [frame, code] of cases) {
      const agent = connect(server, agentToken);
      await agent.opened;
      agent.ws.send(frame);
      expect((await agent.closed).code).toBe(code);
    }
    expect(server.gateway.stats().protocolErrors).toBeGreaterThanOrEqual(4);
  });

  it("closes a socket that never says hello, and replaces an older socket for the same host", async () => {
    const server = await boot({ gateway: { helloTimeoutMs: 300 } });
    const { agentToken } = await enrolledHost(server);
    const silent = connect(server, agentToken);
    await silent.opened;
    expect((await silent.closed).code).toBe(CLOSE_CODES.HELLO_TIMEOUT);

    const first = connect(server, agentToken);
    await first.opened;
    first.ws.send(hello());
    await first.next("hello.ok");
    const second = connect(server, agentToken);
    await second.opened;
    second.ws.send(hello());
    await second.next("hello.ok");
    expect((await first.closed).code).toBe(CLOSE_CODES.REPLACED);
    expect(server.gateway.stats().connected).toBe(1);
    second.ws.close();
  });

  it("revoking a host closes its socket with 4003 within 5 s and the bearer stops working", async () => {
    const server = await boot();
    const { admin, hostId, agentToken } = await enrolledHost(server);
    const agent = connect(server, agentToken);
    await agent.opened;
    agent.ws.send(hello());
    await agent.next("hello.ok");
    const started = Date.now();
    await admin.call("hosts.revoke", { hostId });
    const closed = await agent.closed;
    expect(closed.code).toBe(CLOSE_CODES.REVOKED);
    expect(Date.now() - started).toBeLessThan(5000);
    await expect(connect(server, agentToken).opened).rejects.toThrow(/401/);
  });

  it("marks a host offline on disconnect and answers RPC with correlation ids and timeouts", async () => {
    const server = await boot();
    const { hostId, agentToken } = await enrolledHost(server);
    const agent = connect(server, agentToken);
    await agent.opened;
    agent.ws.send(hello());
    await agent.next("hello.ok");
    agent.ws.on("message", (d) => {
      const m = parseServerMessage(d.toString());
      if (m.ok && m.message.type === "rpc.request" && m.message.payload.method === "echo") {
        agent.ws.send(
          createAgentMessage("rpc.response", { id: m.message.payload.id, ok: true, result: m.message.payload.params }),
        );
      }
    });
    await expect(server.gateway.rpc(hostId, "echo", { path: "/etc" })).resolves.toEqual({ path: "/etc" });
    await expect(server.gateway.rpc(hostId, "ignored", {}, 200)).rejects.toThrow(/did not answer/);
    agent.ws.close();
    await agent.closed;
    await expect.poll(async () => (await server.core.hosts.get(hostId)).status).toBe("offline");
  });
});
