/**
 * No lost output: job events survive a dropped connection and an agent restart, are replayed in
 * order before the first heartbeat, and are never re-sent once acknowledged. restic is scripted
 * here (test/helpers/agent-harness.ts) so the test decides when output appears.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentMessage, CommandRunPayload } from "@restic-manager/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  helloWithRepo,
  jobEvents,
  jobLines,
  type StartedAgent,
  scriptedRestic,
  sendCommand,
  settle,
  startAgent,
  waitFinished,
} from "./helpers/agent-harness.js";
import { tempDir } from "./helpers/config.js";
import { type FakeServer, isJobEvent, startFakeServer } from "./helpers/fake-server.js";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", "restic", name), "utf8");

let tmp: ReturnType<typeof tempDir>;
const servers: FakeServer[] = [];
const agents: StartedAgent[] = [];
let repo: string;

beforeEach(() => {
  tmp = tempDir("rm-agent-spool-");
  repo = join(tmp.dir, "repo");
});
afterEach(async () => {
  for (const a of agents.splice(0)) await a.agent.stop();
  for (const s of servers.splice(0)) await s.close();
  tmp.cleanup();
});

async function until(check: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await settle(20);
  }
}

const spoolFiles = () => (existsSync(join(tmp.dir, "spool")) ? readdirSync(join(tmp.dir, "spool")) : []);
const seqOf = (m: AgentMessage) => (m.payload as { seq: number }).seq;
const backup = (jobId: string): CommandRunPayload => ({
  jobId,
  kind: "backup",
  params: { paths: ["/data"], excludes: [], tags: ["default"], sourceGroupId: null },
});

describe("job event spool", () => {
  it("keeps events on disk while disconnected and replays them in order before the heartbeat", async () => {
    const gate = join(tmp.dir, "gate");
    const restic = scriptedRestic(tmp.dir, {
      before: 10,
      after: 15,
      gate,
      snapshots: fixture("0.14-snapshots.stdout.txt"),
      stats: fixture("0.14-stats.stdout.txt"),
    });
    let releaseHello!: () => void;
    const helloGate = new Promise<void>((resolve) => {
      releaseHello = resolve;
    });
    const server: FakeServer = await startFakeServer({
      autoAck: true,
      onHello: (session) => {
        if (server.sessions.indexOf(session) === 0) helloWithRepo(repo, 1)(session);
        else void helloGate.then(() => helloWithRepo(repo, 1)(session));
      },
    });
    servers.push(server);
    agents.push(await startAgent(server, tmp.dir, { resticPath: restic }));
    await server.waitFor("config.ack");
    const first = server.sessions[0]!;
    sendCommand(first, backup("job-spool"));

    // The first ten files reach the server and are acked; then the connection drops.
    await server.waitUntil(
      () => jobLines(server, "job-spool").some((l) => l.line.includes("/data/file-9")),
      "the first ten lines",
    );
    await settle(200);
    const before = jobEvents(server, "job-spool", 0);
    const ackedUpTo = Math.max(...before.map(seqOf));
    first.ws.terminate();
    await server.waitFor("hello", { session: 1 });

    // restic goes on while the agent has no session: everything lands in the spool.
    writeFileSync(gate, "");
    const spool = join(tmp.dir, "spool", "job-spool.spool");
    await until(() => existsSync(spool) && readFileSync(spool, "utf8").includes('"type":"job.finished"'), "the spool");
    expect(statSync(spool).mode & 0o777).toBe(0o600);
    const spooled = readFileSync(spool, "utf8").split("\n").filter(Boolean);
    // The header plus every unacked event, already-acked ones included until the file is done.
    expect(spooled.length).toBeGreaterThan(3);
    expect(jobEvents(server, "job-spool", 1)).toEqual([]);

    releaseHello();
    await waitFinished(server, "job-spool");
    await server.waitFor("heartbeat", { session: 1, timeoutMs: 5_000 });
    const second = server.sessions[1]!.messages;
    const firstBeat = second.findIndex((m) => m.type === "heartbeat");
    const replayed = second.filter((m) => isJobEvent(m) && m.payload.jobId === "job-spool");
    expect(replayed.length).toBeGreaterThan(0);
    for (const m of replayed) expect(second.indexOf(m)).toBeLessThan(firstBeat);
    // The snapshot listing and size made while offline follow, also before the heartbeat.
    const reportAt = second.findIndex((m) => m.type === "snapshots.report");
    const statsAt = second.findIndex((m) => m.type === "repo.stats");
    expect(reportAt).toBeGreaterThan(second.indexOf(replayed.at(-1)!));
    expect(statsAt).toBeLessThan(firstBeat);
    const beat = second[firstBeat] as Extract<AgentMessage, { type: "heartbeat" }>;
    expect(beat.payload.runningJobIds).toEqual([]);

    // Nothing acked is sent again; together the sessions carry every event once, in order.
    expect(Math.min(...replayed.map(seqOf))).toBe(ackedUpTo + 1);
    const all = jobEvents(server, "job-spool").map(seqOf);
    expect(all).toEqual([...all].sort((a, b) => a - b));
    expect(new Set(all).size).toBe(all.length);
    const lines = jobLines(server, "job-spool").map((l) => l.line);
    for (let i = 0; i < 25; i++) expect(lines.filter((l) => l.startsWith(`new      /data/file-${i} `))).toHaveLength(1);
    expect(lines).toContain("snapshot ed7dce79 saved");
    expect(lines).toContain("will report 3 snapshots to the server once it is reachable");
    const finished = jobEvents(server, "job-spool").at(-1) as Extract<AgentMessage, { type: "job.finished" }>;
    expect(finished.type).toBe("job.finished");
    expect(finished.payload.status).toBe("succeeded");
    // The short id from the summary is resolved through the listing.
    expect(finished.payload.summary?.snapshotId).toBe(
      "ed7dce798be08a437e0b58f42fa218672527fb0c045ef924a42980a96d49667c",
    );

    // Acked to the end: the spool file is gone.
    await until(() => spoolFiles().length === 0, "the spool file to be deleted");
  }, 30_000);

  it("replays a previous agent process's spool on start, before the first heartbeat", async () => {
    const restic = scriptedRestic(tmp.dir, {
      before: 5,
      after: 0,
      snapshots: fixture("0.14-snapshots-empty.stdout.txt"),
      stats: fixture("0.14-stats-empty.stdout.txt"),
    });
    // The first server stores nothing and acks nothing (it crashed, say).
    const lost = await startFakeServer({ onHello: helloWithRepo(repo) });
    servers.push(lost);
    const previous = await startAgent(lost, tmp.dir, { resticPath: restic });
    await lost.waitFor("config.ack");
    sendCommand(lost.sessions[0]!, backup("job-left"));
    await waitFinished(lost, "job-left");
    const sentBefore = jobEvents(lost, "job-left");
    await previous.agent.stop();
    await lost.close();
    servers.length = 0;
    expect(spoolFiles()).toEqual(["job-left.spool"]);
    // A crash in the middle of the next write left a torn line.
    appendFileSync(join(tmp.dir, "spool", "job-left.spool"), `${sentBefore.length + 1}\t{"type":"log.str`);

    const server = await startFakeServer({ autoAck: true, onHello: helloWithRepo(repo, 1) });
    servers.push(server);
    const next = await startAgent(server, tmp.dir, { resticPath: restic });
    agents.push(next);
    await server.waitFor("heartbeat", { timeoutMs: 5_000 });
    const messages = server.sessions[0]!.messages;
    const firstBeat = messages.findIndex((m) => m.type === "heartbeat");
    const replayed = jobEvents(server, "job-left");
    // Progress is never spooled; everything else comes again, in order, before the heartbeat.
    expect(replayed.map((m) => m.type)).toEqual(sentBefore.filter((m) => m.type !== "job.progress").map((m) => m.type));
    expect(replayed.map(seqOf)).toEqual(sentBefore.filter((m) => m.type !== "job.progress").map(seqOf));
    for (const m of replayed) expect(messages.indexOf(m)).toBeLessThan(firstBeat);
    expect(replayed.at(-1)?.payload).toMatchObject({ status: "succeeded" });
    expect(next.logs.join("\n")).toMatch(/found 1 job spool\(s\) from a previous run with \d+ unsent events/);
    await until(() => spoolFiles().length === 0, "the spool file to be deleted");
  }, 30_000);

  it("counts restic exit code 3 as succeeded, with the unreadable files in the log", async () => {
    const restic = scriptedRestic(tmp.dir, {
      before: 2,
      after: 0,
      exitCode: 3,
      stderr: [
        '{"message_type":"error","error":{"Op":"open","Path":"/data/secret","Err":13},"during":"archival","item":"/data/secret"}',
        "Warning: at least one source file could not be read",
      ],
      snapshots: fixture("0.14-snapshots.stdout.txt"),
      stats: fixture("0.14-stats.stdout.txt"),
    });
    const server = await startFakeServer({ autoAck: true, onHello: helloWithRepo(repo) });
    servers.push(server);
    agents.push(await startAgent(server, tmp.dir, { resticPath: restic }));
    await server.waitFor("config.ack");
    sendCommand(server.sessions[0]!, backup("job-3"));
    const finished = await waitFinished(server, "job-3");
    expect(finished.payload).toMatchObject({ status: "succeeded", exitCode: 3, error: null });
    expect(finished.payload.summary).toMatchObject({ errorCount: 1 });
    expect(jobLines(server, "job-3")).toEqual(
      expect.arrayContaining([
        { stream: "stderr", line: "error: open /data/secret: permission denied" },
        {
          stream: "system",
          line: "restic could not read 1 source file (exit code 3): the snapshot was saved without it; see the errors above",
        },
      ]),
    );
  });

  it("cancel SIGKILLs a restic that ignores SIGINT and SIGTERM, about 5 s later", async () => {
    const restic = join(tmp.dir, "stubborn-restic");
    writeFileSync(
      restic,
      `#!/bin/sh
case "$1" in
  version) echo "restic 0.14.0 compiled with go1.19.8 on linux/amd64" ;;
  backup)
    trap "" INT TERM
    echo '{"message_type":"status","percent_done":0.1,"total_files":1}'
    sleep 60 & wait
    sleep 60 ;;
esac
`,
    );
    chmodSync(restic, 0o755);
    const server = await startFakeServer({ autoAck: true, onHello: helloWithRepo(repo) });
    servers.push(server);
    agents.push(await startAgent(server, tmp.dir, { resticPath: restic }));
    await server.waitFor("config.ack");
    sendCommand(server.sessions[0]!, backup("stubborn"));
    await server.waitFor("job.progress");
    const cancelAt = Date.now();
    server.sessions[0]!.send("command.cancel", { jobId: "stubborn" });
    const finished = await waitFinished(server, "stubborn", 15_000);
    const took = Date.now() - cancelAt;
    expect(finished.payload).toMatchObject({ status: "cancelled", exitCode: null });
    expect(took).toBeGreaterThanOrEqual(4_500);
    expect(took).toBeLessThan(8_000);
    const left = spawnSync("pgrep", ["-f", tmp.dir], { encoding: "utf8" }).stdout.trim();
    expect(left).toBe("");
  }, 20_000);
});
