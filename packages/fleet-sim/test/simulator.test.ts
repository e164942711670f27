/**
 * The simulated agent against a scripted server socket: it says hello with its time zone and
 * answers schedule.set with schedule.ack (version, no error), keeping the set it was given.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { AGENT_SUBPROTOCOL, createServerMessage, parseAgentMessage } from "@restic-manager/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { FleetSimulator } from "../src/simulator.js";

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe("simulated agent", () => {
  it("sends its time zone in hello and acknowledges schedule.set", async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http, handleProtocols: () => AGENT_SUBPROTOCOL });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const received: { type: string; payload: unknown }[] = [];
    wss.on("connection", (ws) => {
      ws.on("message", (raw) => {
        const parsed = parseAgentMessage(raw.toString());
        if (!parsed.ok) throw new Error(`bad frame: ${parsed.detail}`);
        received.push(parsed.message);
        if (parsed.message.type === "hello") {
          ws.send(
            createServerMessage("hello.ok", {
              hostId: "01JD2Z8Q4W5X6Y7Z8A9B0C1D2E",
              serverVersion: "test",
              protocolVersion: 1,
              heartbeatIntervalSeconds: 30,
            }),
          );
          ws.send(
            createServerMessage("schedule.set", {
              version: 7,
              timezone: "UTC",
              schedules: [
                {
                  scheduleId: "01JD2Z8Q4W5X6Y7Z8A9B0C1D2F",
                  cron: "0 2 * * *",
                  enabled: true,
                  groups: [{ id: "01JD2Z8Q4W5X6Y7Z8A9B0C1D2G", name: "etc" }],
                },
              ],
            }),
          );
        }
      });
    });
    const port = (http.address() as AddressInfo).port;
    const sim = new FleetSimulator({
      serverUrl: `http://127.0.0.1:${port}`,
      agents: [{ hostId: "01JD2Z8Q4W5X6Y7Z8A9B0C1D2E", agentToken: "rma_test", hostname: "sim-00000" }],
      sourceAddresses: ["127.0.0.1"],
    });
    cleanup = async () => {
      await sim.stop();
      wss.close();
      http.close();
    };
    void sim.start();
    await sim.waitConnected(1, 5000);
    const deadline = Date.now() + 5000;
    while (!received.some((m) => m.type === "schedule.ack") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const hello = received.find((m) => m.type === "hello");
    expect(hello?.payload).toMatchObject({ timezone: "UTC", hostname: "sim-00000" });
    expect(received.find((m) => m.type === "schedule.ack")?.payload).toEqual({ version: 7, error: null });
    expect(sim.agents[0]?.scheduleSet?.version).toBe(7);
    expect(sim.metrics.scheduleSets).toBe(1);
  });
});
