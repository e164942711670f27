import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type AgentMessage,
  type AgentWireMessage,
  createAgentMessage,
  parseAgentMessage,
} from "@restic-manager/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Outbox, spoolFileName } from "../src/jobs/outbox.js";
import { tempDir } from "./helpers/config.js";

let tmp: ReturnType<typeof tempDir>;
let spoolDir: string;

beforeEach(() => {
  tmp = tempDir();
  spoolDir = join(tmp.dir, "spool");
});
afterEach(() => tmp.cleanup());

/** An outbox over a pretend socket: `up` decides whether send succeeds; `sent` is the wire. */
function harness(options: { buffered?: () => number; now?: () => number } = {}) {
  const state = { up: false, sent: [] as AgentMessage[] };
  const outbox = new Outbox({
    spoolDir,
    send: (wire: AgentWireMessage) => {
      if (!state.up) return false;
      const parsed = parseAgentMessage(wire);
      if (!parsed.ok) throw new Error(`outbox sent an invalid frame: ${parsed.detail}`);
      state.sent.push(parsed.message);
      return true;
    },
    bufferedAmount: options.buffered,
    fsyncIntervalMs: 20,
    resendAfterMs: 1_000,
    now: options.now,
  });
  return { outbox, state };
}

const line = (text: string) => ({ at: 1, stream: "stdout" as const, line: text });
/** A progress report, half done. */
const progress = {
  at: 3,
  percent: 50,
  filesDone: 1,
  filesTotal: 2,
  bytesDone: 5,
  bytesTotal: 10,
  etaSeconds: 1,
  currentFile: "/x",
};
const seqs = (messages: AgentMessage[]) => messages.map((m) => (m.payload as { seq: number }).seq);
const spoolLines = (jobId: string) =>
  readFileSync(join(spoolDir, spoolFileName(jobId)), "utf8")
    .split("\n")
    .filter(Boolean);

describe("outbox", () => {
  it("numbers a job's events from 1, spools them 0600 and sends them while live", async () => {
    const { outbox, state } = harness();
    state.up = true;
    await outbox.onSession();
    const job = outbox.open("job-1")!;
    outbox.emit(job, "job.started", { at: 1, kind: "backup" });
    outbox.emit(job, "log.stream", { at: 2, lineOffset: 0, lines: [line("a"), line("b")] });
    outbox.emit(job, "job.progress", progress);
    outbox.emit(job, "job.finished", { at: 4, status: "succeeded", exitCode: 0, error: null, summary: null });
    expect(state.sent.map((m) => m.type)).toEqual(["job.started", "log.stream", "job.progress", "job.finished"]);
    expect(seqs(state.sent)).toEqual([1, 2, 3, 4]);

    const path = join(spoolDir, "job-1.spool");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(spoolDir).mode & 0o777).toBe(0o700);
    const lines = spoolLines("job-1");
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: "restic-manager.spool.v1", jobId: "job-1" });
    // Progress is not spooled.
    expect(lines.slice(1).map((l) => l.split("\t")[0])).toEqual(["1", "2", "4"]);

    outbox.end(job);
    outbox.ack("job-1", 2);
    expect(existsSync(path)).toBe(true);
    outbox.ack("job-1", 4);
    expect(existsSync(path)).toBe(false);
    expect(outbox.jobIds()).toEqual([]);
    outbox.close();
  });

  it("keeps events on disk while offline and replays them in order, skipping acked ones", async () => {
    const { outbox, state } = harness();
    state.up = true;
    await outbox.onSession();
    const job = outbox.open("job-2")!;
    outbox.emit(job, "job.started", { at: 1, kind: "backup" });
    outbox.emit(job, "log.stream", { at: 1, lineOffset: 0, lines: [line("0")] });
    outbox.ack("job-2", 2);

    // The connection drops; the job goes on.
    state.up = false;
    outbox.onSessionEnd();
    for (let i = 1; i <= 5; i++) outbox.emit(job, "log.stream", { at: 1, lineOffset: i, lines: [line(String(i))] });
    const dropped = outbox.emit(job, "job.progress", {
      at: 1,
      percent: 1,
      filesDone: 0,
      filesTotal: null,
      bytesDone: 0,
      bytesTotal: null,
      etaSeconds: null,
      currentFile: null,
    });
    expect(dropped).toBeNull();
    outbox.emit(job, "job.finished", { at: 2, status: "succeeded", exitCode: 0, error: null, summary: null });
    outbox.end(job);
    expect(state.sent).toHaveLength(2);
    expect(spoolLines("job-2")).toHaveLength(1 + 8);

    state.up = true;
    await outbox.onSession();
    const replayed = state.sent.slice(2);
    expect(seqs(replayed)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(replayed.at(-1)?.type).toBe("job.finished");
    outbox.ack("job-2", 8);
    expect(readdirSync(spoolDir)).toEqual([]);
  });

  it("resends unacked events after a reconnect even if they were sent before", async () => {
    const { outbox, state } = harness();
    state.up = true;
    await outbox.onSession();
    const job = outbox.open("job-3")!;
    for (let i = 0; i < 4; i++) outbox.emit(job, "log.stream", { at: 1, lineOffset: i, lines: [line(String(i))] });
    outbox.ack("job-3", 2);
    // Sent but never acked (lost with the socket): 3 and 4 come again, 1 and 2 do not.
    outbox.onSessionEnd();
    state.sent = [];
    await outbox.onSession();
    expect(seqs(state.sent)).toEqual([3, 4]);
    outbox.close();
  });

  it("picks up events emitted during a replay, in order, with backpressure", async () => {
    let buffered = 0;
    const { outbox, state } = harness({ buffered: () => buffered });
    const job = outbox.open("job-4")!;
    const big = "x".repeat(10_000);
    // ~3 MB on disk: the replay spans several chunks and yields between them.
    for (let i = 0; i < 300; i++) {
      outbox.emit(job, "log.stream", { at: 1, lineOffset: i, lines: [line(`${i} ${big}`)] });
    }
    state.up = true;
    buffered = 10 * 1024 * 1024;
    const replay = outbox.onSession();
    await new Promise((r) => setTimeout(r, 50));
    // The socket buffer is full: the replay waits after its first chunk.
    const during = state.sent.length;
    expect(during).toBeGreaterThan(0);
    expect(during).toBeLessThan(300);
    // New events while replaying go to the spool and come out after the older ones.
    outbox.emit(job, "log.stream", { at: 1, lineOffset: 300, lines: [line("late")] });
    buffered = 0;
    await replay;
    outbox.emit(job, "log.stream", { at: 1, lineOffset: 301, lines: [line("live")] });
    expect(seqs(state.sent)).toEqual(Array.from({ length: 302 }, (_, i) => i + 1));
    outbox.close();
  });

  it("stops a replay when the session ends and resumes it in the next", async () => {
    const { outbox, state } = harness();
    const job = outbox.open("job-5")!;
    const big = Array.from({ length: 4 }, () => line("y".repeat(15_000)));
    for (let i = 0; i < 40; i++) outbox.emit(job, "log.stream", { at: 1, lineOffset: i * 4, lines: big });
    state.up = true;
    const first = outbox.onSession();
    await new Promise((r) => setImmediate(r));
    state.up = false;
    outbox.onSessionEnd();
    await first;
    const partial = state.sent.length;
    expect(partial).toBeLessThan(40);
    outbox.ack("job-5", 3);
    state.up = true;
    state.sent = [];
    await outbox.onSession();
    expect(seqs(state.sent)).toEqual(Array.from({ length: 37 }, (_, i) => i + 4));
    outbox.close();
  });

  it("replays a previous process's spool (torn last line dropped) and deletes it once acked", async () => {
    const previous = harness().outbox;
    const job = previous.open("crashed-job")!;
    previous.emit(job, "job.started", { at: 1, kind: "backup" });
    previous.emit(job, "log.stream", { at: 2, lineOffset: 0, lines: [line("before the crash")] });
    previous.close();
    // The crash hit in the middle of writing the next event.
    appendFileSync(join(spoolDir, "crashed-job.spool"), '3\t{"type":"log.stream","payload":{"jobId":"crashed-j');
    writeFileSync(join(spoolDir, "notes.txt"), "not a spool");
    writeFileSync(
      join(spoolDir, "empty.spool"),
      `${JSON.stringify({ format: "restic-manager.spool.v1", jobId: "e" })}\n`,
    );

    const { outbox, state } = harness();
    expect(outbox.loadLeftovers()).toEqual([{ jobId: "crashed-job", events: 2, finished: false }]);
    // A spool without events is cleaned up; foreign files are left alone.
    expect(readdirSync(spoolDir).sort()).toEqual(["crashed-job.spool", "notes.txt"]);
    state.up = true;
    await outbox.onSession();
    expect(state.sent.map((m) => m.type)).toEqual(["job.started", "log.stream"]);
    expect(seqs(state.sent)).toEqual([1, 2]);
    outbox.ack("crashed-job", 2);
    expect(existsSync(join(spoolDir, "crashed-job.spool"))).toBe(false);
  });

  it("keeps the latest snapshot report while offline and sends it after the replay", async () => {
    const { outbox, state } = harness();
    const stats = (size: number) =>
      createAgentMessage("repo.stats", {
        at: 1,
        totalSizeBytes: size,
        totalUncompressedSizeBytes: null,
        snapshotsCount: 1,
      });
    expect(outbox.sendOrKeep("repo.stats", [stats(1)])).toBe(false);
    expect(outbox.sendOrKeep("repo.stats", [stats(2)])).toBe(false);
    const job = outbox.open("job-6")!;
    outbox.emit(job, "job.finished", { at: 1, status: "succeeded", exitCode: 0, error: null, summary: null });
    state.up = true;
    await outbox.onSession();
    expect(state.sent.map((m) => m.type)).toEqual(["job.finished", "repo.stats"]);
    expect(state.sent[1]!.payload).toMatchObject({ totalSizeBytes: 2 });
    outbox.close();
  });

  it("names spool files safely for any job id", () => {
    expect(spoolFileName("01JBX5K2M3N4P5Q6R7S8T9V0W1")).toBe("01JBX5K2M3N4P5Q6R7S8T9V0W1.spool");
    expect(spoolFileName("../../etc/passwd")).toMatch(/^h-[0-9a-f]{64}\.spool$/);
    const { outbox } = harness();
    const job = outbox.open("../odd id")!;
    outbox.emit(job, "job.started", { at: 1, kind: "init" });
    outbox.close();
    const { outbox: again } = harness();
    expect(again.loadLeftovers()).toEqual([{ jobId: "../odd id", events: 1, finished: false }]);
  });

  it("resends a live job's unacked events on the same session, backing off until an ack moves", async () => {
    let now = 10_000;
    const { outbox, state } = harness({ now: () => now });
    state.up = true;
    await outbox.onSession();
    const job = outbox.open("job-7")!;
    outbox.emit(job, "job.started", { at: 1, kind: "backup" });
    for (let i = 0; i < 4; i++) outbox.emit(job, "log.stream", { at: 1, lineOffset: i, lines: [line(String(i))] });
    outbox.emit(job, "job.progress", progress);
    // The server stored 1 and 2, failed 3 (a full disk), and holds back 4 onwards: acks stop at 2.
    outbox.ack("job-7", 2);
    state.sent = [];
    now += 999;
    expect(outbox.resendOverdue()).toEqual([]);
    now += 1;
    expect(outbox.resendOverdue()).toEqual(["job-7"]);
    await new Promise((r) => setImmediate(r));
    // From the first unacked event, spooled ones only (progress is never resent).
    expect(seqs(state.sent)).toEqual([3, 4, 5]);
    // Nothing acked yet: the next resend waits twice as long.
    state.sent = [];
    now += 1_999;
    expect(outbox.resendOverdue()).toEqual([]);
    now += 1;
    expect(outbox.resendOverdue()).toEqual(["job-7"]);
    await new Promise((r) => setImmediate(r));
    expect(seqs(state.sent)).toEqual([3, 4, 5]);
    // An ack that moves resets the delay; new events go out live meanwhile.
    outbox.ack("job-7", 4);
    state.sent = [];
    outbox.emit(job, "job.finished", { at: 2, status: "succeeded", exitCode: 0, error: null, summary: null });
    outbox.end(job);
    expect(seqs(state.sent)).toEqual([7]);
    expect(outbox.heldJobIds()).toEqual(["job-7"]);
    now += 1_000;
    expect(outbox.resendOverdue()).toEqual(["job-7"]);
    await new Promise((r) => setImmediate(r));
    expect(seqs(state.sent)).toEqual([7, 5, 7]);
    outbox.ack("job-7", 7);
    expect(outbox.heldJobIds()).toEqual([]);
    expect(existsSync(join(spoolDir, spoolFileName("job-7")))).toBe(false);
    outbox.close();
  });

  it("does not resend while the session-start replay runs, nor while offline", async () => {
    let now = 0;
    const { outbox, state } = harness({ now: () => now });
    const job = outbox.open("job-8")!;
    outbox.emit(job, "log.stream", { at: 1, lineOffset: 0, lines: [line("offline")] });
    now += 60_000;
    expect(outbox.resendOverdue()).toEqual([]);
    state.up = true;
    const replay = outbox.onSession();
    expect(outbox.resendOverdue()).toEqual([]);
    await replay;
    expect(seqs(state.sent)).toEqual([1]);
    // The replay itself counts as a send: the delay runs from the session start.
    now += 999;
    expect(outbox.resendOverdue()).toEqual([]);
    outbox.close();
  });

  it("sends the latest reports again when the server asks", async () => {
    const { outbox, state } = harness();
    state.up = true;
    await outbox.onSession();
    const stats = createAgentMessage("repo.stats", {
      at: 1,
      totalSizeBytes: 5,
      totalUncompressedSizeBytes: null,
      snapshotsCount: 1,
    });
    expect(outbox.resendReports()).toEqual([]);
    expect(outbox.sendOrKeep("repo.stats", [stats])).toBe(true);
    state.sent = [];
    expect(outbox.resendReports()).toEqual(["repo.stats"]);
    expect(state.sent.map((m) => m.type)).toEqual(["repo.stats"]);
    outbox.close();
  });
});
