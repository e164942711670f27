import { randomBytes } from "node:crypto";
import { AGENT_SUBPROTOCOL, createAgentMessage, PROTOCOL_VERSION, parseServerMessage } from "@restic-manager/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { bootServer, createEnrollment, enroll, removeDir, signedInAdmin, type TestServer } from "./harness.js";

const FRAMES = 10_000;
const PARALLEL = 25;

let server: TestServer;
beforeAll(async () => {
  server = await bootServer({ env: { RM_LOG_LEVEL: "warn" } });
});
afterAll(async () => {
  await server.close();
  removeDir(server.dataDir);
});

/** One of five kinds of garbage, chosen by index so every kind is well represented. */
function malformed(i: number): string | Buffer {
  switch (i % 5) {
    case 0:
      return randomBytes(1 + (i % 200));
    case 1:
      return `{"type":"hello","payload":${"{".repeat(i % 7)}`;
    case 2:
      return JSON.stringify({ type: "heartbeat", payload: { at: "yesterday", runningJobIds: i } });
    case 3:
      return `{"type":"hello","__proto__":{"polluted":${i}},"payload":{}}`;
    default:
      return `${"[".repeat(5000)}${"]".repeat(5000)}`;
  }
}

function open(bearer: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.listenUrl.replace("http", "ws")}/ws/agent`, AGENT_SUBPROTOCOL, {
      headers: { authorization: `Bearer ${bearer}` },
    });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

describe("gateway under malformed traffic", () => {
  it(`survives ${FRAMES.toLocaleString()} malformed frames, counts each, and keeps serving a healthy agent`, async () => {
    const admin = await signedInAdmin(server);
    // One hostile host per worker: a second socket for the same host would replace the first (4000).
    const hostile: string[] = [];
    for (let w = 0; w < PARALLEL; w++) {
      const res = await enroll(server.listenUrl, (await createEnrollment(admin, `hostile-${w}`)).token);
      hostile.push(res.body.agentToken ?? "");
    }
    const healthy = await enroll(server.listenUrl, (await createEnrollment(admin, "healthy")).token);
    const healthyHostId = healthy.body.hostId ?? "";

    // The healthy agent answers RPC echoes throughout.
    const good = await open(healthy.body.agentToken ?? "");
    good.on("message", (d) => {
      const m = parseServerMessage(d.toString());
      if (m.ok && m.message.type === "rpc.request") {
        good.send(createAgentMessage("rpc.response", { id: m.message.payload.id, ok: true, result: "pong" }));
      }
    });
    good.send(
      createAgentMessage("hello", {
        protocolVersion: PROTOCOL_VERSION,
        agentVersion: "0.1.0-test",
        hostname: "healthy",
        os: "linux",
        arch: "x64",
        restic: { version: "0.14.0", path: "/usr/bin/restic", error: null },
      }),
    );
    await expect.poll(() => server.gateway.isConnected(healthyHostId)).toBe(true);

    const before = server.gateway.stats().protocolErrors;
    const closeCodes = new Map<number, number>();
    let next = 0;
    let echoes = 0;
    const worker = async (w: number) => {
      while (next < FRAMES) {
        const i = next++;
        const ws = await open(hostile[w] ?? "");
        const code = await new Promise<number>((resolve) => {
          ws.once("close", (c) => resolve(c));
          ws.send(malformed(i));
        });
        closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
        if (i % 500 === 0) {
          await expect(server.gateway.rpc(healthyHostId, "ping", null, 5000)).resolves.toBe("pong");
          echoes++;
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, (_, w) => worker(w)));

    expect(server.gateway.stats().protocolErrors - before).toBe(FRAMES);
    expect(
      [...closeCodes.keys()].filter((c) => ![1007, 1008, 1009].includes(c)),
      JSON.stringify([...closeCodes]),
    ).toEqual([]);
    expect(closeCodes.get(1007)).toBeGreaterThan(0);
    expect(closeCodes.get(1008)).toBeGreaterThan(0);
    expect(echoes).toBe(FRAMES / 500);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(server.gateway.isConnected(healthyHostId)).toBe(true);
    const health = await fetch(`${server.listenUrl}/healthz`);
    expect(health.status).toBe(200);
    good.close();
  }, 180_000);
});
