/**
 * Refused agent upgrades must not cost the console a descriptor: a client that sends 1,000
 * upgrades without a token and then holds its side open (never closing) against a console
 * limited to 1,024 descriptors. Before the fix each refused socket stayed half-open on the
 * console (FIN-WAIT-2) and 1,000 of them took /healthz, the API and the agents down.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AgentProcess,
  type ConsoleProcess,
  consoleWithAgent,
  data,
  type TestClient,
  waitFor,
} from "@restic-manager/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ATTEMPTS = 1_000;
let root: string;
let rm: ConsoleProcess;
let admin: TestClient;
let agent: AgentProcess;
let hostId: string;
let groupId: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "rm-refused-"));
  const source = join(root, "source");
  mkdirSync(source);
  writeFileSync(join(source, "a.txt"), "a\n");
  ({ rm, admin, agent, hostId, groupId } = await consoleWithAgent({
    dir: root,
    hostname: "refused-host",
    repoPassword: "refused-repo-pw",
    paths: [source],
    console: { maxOpenFiles: 1024 },
  }));
}, 300_000);

afterAll(async () => {
  await agent?.stop("SIGKILL");
  await rm?.stop("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

/** Sends an upgrade without a bearer and never closes its side; resolves with the answer once the console closes. */
function refusedUpgrade(port: number): Promise<{ socket: Socket; answer: string; closedByServer: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    let answer = "";
    let answered = false;
    const closedByServer = new Promise<void>((done) => socket.once("end", done));
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      answer += chunk;
      if (!answered && answer.includes("\r\n\r\n")) {
        answered = true;
        resolve({ socket, answer, closedByServer });
      }
    });
    socket.on("error", reject);
    socket.on("connect", () =>
      socket.write(
        "GET /ws/agent HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: restic-manager.agent.v1\r\n\r\n",
      ),
    );
  });
}

describe("refused agent upgrades under ulimit -n 1024", () => {
  it("are closed by the console at once; /healthz, the API and a real agent keep working", async () => {
    const held: Socket[] = [];
    try {
      for (let i = 0; i < ATTEMPTS; i += 100) {
        const batch = await Promise.all(Array.from({ length: 100 }, () => refusedUpgrade(rm.port)));
        for (const { socket, answer, closedByServer } of batch) {
          held.push(socket);
          expect(answer).toMatch(/^HTTP\/1\.1 401 /);
          // The console ends its side even though this client never ends its own.
          await closedByServer;
        }
      }
      expect(held).toHaveLength(ATTEMPTS);

      // Everything still works while the client holds all of them.
      expect((await fetch(`${rm.url}/healthz`)).status).toBe(200);
      const hosts = await data<{ items: { id: string; status: string }[] }>(admin.query("hosts.list", { limit: 10 }));
      expect(hosts.items.find((h) => h.id === hostId)?.status).toBe("online");
      const { jobId } = await data<{ jobId: string }>(admin.call("jobs.runBackup", { groupId }));
      const job = await waitFor(
        () => data<{ status: string; error: string | null }>(admin.query("jobs.get", { jobId })),
        (j) => j.status !== "queued" && j.status !== "running",
        60_000,
        "the backup to end",
      );
      expect(job.status, job.error ?? "").toBe("succeeded");

      // One refusal line per address per interval, with a count, not 1,000 lines.
      const refusals = rm.logs.filter((l) => l.includes("agent upgrade refused"));
      expect(refusals.length).toBeGreaterThan(0);
      expect(refusals.length).toBeLessThan(5);
    } finally {
      for (const s of held) s.destroy();
    }
  }, 180_000);
});
