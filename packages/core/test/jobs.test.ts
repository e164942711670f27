import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { hosts, jobLogs, jobs, migrateDatabase, newId, openDatabase, pendingRuns } from "@restic-manager/db";
import type { AgentMessage } from "@restic-manager/protocol";
import { eq, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AgentLink, type Core, connectWork, createCore, MAX_LOG_LINES_PER_JOB, SecretBox } from "../src/index.js";

const MIGRATIONS = resolve(import.meta.dirname, "../../../drizzle");
const operator = { kind: "user" as const, id: "u1", name: "op" };

let dir: string;
let close: () => void;
let core: Core;
let hostId: string;
let sent: { hostId: string; type: string; payload: unknown }[];
let connected: boolean;
let isConnected: (hostId: string) => boolean;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "rm-jobs-"));
  const handle = await openDatabase({ url: `file:${join(dir, "rm.db")}` });
  await migrateDatabase(handle.db, MIGRATIONS);
  close = handle.close;
  sent = [];
  connected = true;
  isConnected = () => connected;
  const link: AgentLink = {
    isConnected: (id) => isConnected(id),
    send: (h, type, payload) => {
      if (!connected) return false;
      sent.push({ hostId: h, type, payload });
      return true;
    },
  };
  core = createCore({ db: handle.db, secrets: new SecretBox(Buffer.alloc(32, 2)), agents: link });
  hostId = newId();
  await handle.db.insert(hosts).values({ id: hostId, name: "web-01", status: "online" });
});
afterEach(() => {
  close();
  rmSync(dir, { recursive: true, force: true });
});

const event = <T extends AgentMessage["type"]>(type: T, payload: Record<string, unknown>) =>
  ({ type, payload: { at: Date.now(), ...payload } }) as unknown as Extract<AgentMessage, { type: T }>;

async function backupGroup(paths = ["/etc"]) {
  const [group] = await core.sources.list(hostId);
  if (!group) {
    return core.sources.create(hostId, { name: "default", includePaths: paths, excludePatterns: [] }, operator);
  }
  return core.sources.update(group.id, { name: group.name, includePaths: paths, excludePatterns: ["*.tmp"] }, operator);
}

describe("dispatch", () => {
  it("sends command.run with the group's paths, excludes and tag, and audits it", async () => {
    const group = await backupGroup(["/etc", "/var/www"]);
    const { jobId } = await core.runNow.backup(group.id, operator);
    expect(sent[0]).toMatchObject({
      type: "command.run",
      payload: { jobId, kind: "backup", params: { paths: ["/etc", "/var/www"], tags: ["default"] } },
    });
    const job = await core.jobs.get(jobId);
    expect(job).toMatchObject({ status: "queued", actor: "user:u1" });
    expect(job.dispatchedAt).not.toBeNull();
  });

  it("is single-flight per host across kinds, naming the running job", async () => {
    const group = await backupGroup();
    const { jobId } = await core.runNow.backup(group.id, operator);
    await expect(core.dispatcher.dispatch(hostId, { kind: "check", params: {} }, operator)).rejects.toThrow(
      new RegExp(`already running a backup job \\(${jobId}`),
    );
  });

  it("refuses an offline host and a group without paths with clear messages", async () => {
    const empty = await core.sources.create(hostId, { name: "empty", includePaths: [], excludePatterns: [] }, operator);
    await expect(core.runNow.backup(empty.id, operator)).rejects.toThrow(/has no paths yet/);
    connected = false;
    const group = await backupGroup();
    await expect(core.runNow.backup(group.id, operator)).rejects.toThrow(/offline/);
  });
});

describe("source groups", () => {
  it("refuses paths that restic would read as options, and line breaks", async () => {
    await expect(
      core.sources.create(hostId, { name: "x", includePaths: ["--delete"], excludePatterns: [] }, operator),
    ).rejects.toThrow(/begins with "-"/);
    await expect(
      core.sources.create(
        hostId,
        { name: "x", includePaths: ["/etc\n--password-file=/x"], excludePatterns: [] },
        operator,
      ),
    ).rejects.toThrow(/line break/);
    await expect(
      core.sources.create(hostId, { name: "x", includePaths: ["/ok"], excludePatterns: ["-x"] }, operator),
    ).rejects.toThrow(/begins with "-"/);
    expect(await core.sources.list(hostId)).toHaveLength(0);
  });

  it("keeps names unique per host and the last group undeletable", async () => {
    const a = await core.sources.create(hostId, { name: "etc", includePaths: ["/etc"], excludePatterns: [] }, operator);
    await expect(
      core.sources.create(hostId, { name: "etc", includePaths: ["/x"], excludePatterns: [] }, operator),
    ).rejects.toThrow(/already has a source group named "etc"/);
    await expect(core.sources.remove(a.id, operator)).rejects.toThrow(/last source group/);
  });
});

const lines = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ at: Date.now(), stream: "stdout", line: `line ${from + i}` }));

describe("event ingest", () => {
  it("applies each (job, seq) once: replays are acknowledged and dropped, lines never duplicate", async () => {
    const group = await backupGroup();
    const { jobId } = await core.runNow.backup(group.id, operator);
    const stream = [
      event("job.started", { jobId, seq: 1, kind: "backup" }),
      event("log.stream", { jobId, seq: 2, lineOffset: 0, lines: lines(0, 3) }),
      event("job.progress", {
        jobId,
        seq: 3,
        percent: 50,
        filesDone: 1,
        filesTotal: 2,
        bytesDone: 5,
        bytesTotal: 10,
        etaSeconds: 1,
        currentFile: "/etc/x",
      }),
      event("log.stream", { jobId, seq: 4, lineOffset: 3, lines: lines(3, 2) }),
      event("job.finished", { jobId, seq: 5, status: "succeeded", exitCode: 0, error: null, summary: { filesNew: 2 } }),
    ];
    for (const e of stream) expect(await core.jobEvents.apply(hostId, e)).toBe(e.payload.seq);
    // The whole stream again, as after a reconnect with an unacknowledged spool.
    for (const e of stream) expect(await core.jobEvents.apply(hostId, e)).toBe(e.payload.seq);

    const logs = await core.jobs.logs(jobId, -1, 100);
    expect(logs.map((l) => l.line)).toEqual(["line 0", "line 1", "line 2", "line 3", "line 4"]);
    const job = await core.jobs.get(jobId);
    expect(job).toMatchObject({ status: "succeeded", exitCode: 0, logLines: 5, stats: { filesNew: 2 } });
    const [host] = await core.db.select().from(hosts).where(eq(hosts.id, hostId));
    expect(host?.lastBackupStatus).toBe("succeeded");
  });

  it("ignores events for another host's job", async () => {
    const group = await backupGroup();
    const { jobId } = await core.runNow.backup(group.id, operator);
    await core.jobEvents.apply(
      "OTHERHOST",
      event("job.finished", { jobId, seq: 9, status: "failed", exitCode: 1, error: "x", summary: null }),
    );
    expect((await core.jobs.get(jobId)).status).toBe("queued");
  });

  it("commits frames from many agents arriving together in one transaction, acking each after the commit", async () => {
    // Twelve hosts, each with a running backup: what twelve agents streaming at once look like.
    const running: { hostId: string; jobId: string }[] = [];
    for (let i = 0; i < 12; i++) {
      const id = i === 0 ? hostId : newId();
      if (i > 0) await core.db.insert(hosts).values({ id, name: `web-${i + 1}`, status: "online" });
      const group = await core.sources.create(
        id,
        { name: "default", includePaths: ["/etc"], excludePatterns: [] },
        operator,
      );
      const { jobId } = await core.runNow.backup(group.id, operator);
      await core.jobEvents.apply(id, event("job.started", { jobId, seq: 1, kind: "backup" }));
      running.push({ hostId: id, jobId });
    }
    const seen: { jobId: string; stored: number }[] = [];
    core.events.on("job.logs", ({ jobId }) => {
      // Emitted only once the lines are in the database.
      void core.jobs.logs(jobId, -1, 10).then((rows) => seen.push({ jobId, stored: rows.length }));
    });
    const before = core.jobEvents.ingest.stats.commits;
    const [first, second] = running as [{ hostId: string; jobId: string }, { hostId: string; jobId: string }];
    const acks = await Promise.all([
      ...running.map(({ hostId: h, jobId }) =>
        core.jobEvents.apply(h, event("log.stream", { jobId, seq: 2, lineOffset: 0, lines: lines(0, 3) })),
      ),
      core.jobEvents.apply(first.hostId, event("job.progress", { jobId: first.jobId, seq: 3, percent: 40 })),
      // Not this host's job: acked, nothing stored.
      core.jobEvents.apply(
        first.hostId,
        event("log.stream", { jobId: second.jobId, seq: 7, lineOffset: 3, lines: lines(3, 1) }),
      ),
    ]);
    expect(acks).toEqual([...running.map(() => 2), 3, 7]);
    expect(core.jobEvents.ingest.stats.commits - before).toBeLessThanOrEqual(2);

    for (const { jobId } of running) {
      expect((await core.jobs.logs(jobId, -1, 100)).map((l) => l.line)).toEqual(["line 0", "line 1", "line 2"]);
      expect(await core.jobs.get(jobId)).toMatchObject({ logLines: 3, lastSeq: jobId === first.jobId ? 3 : 2 });
    }
    expect((await core.jobs.get(first.jobId)).progress).toMatchObject({ percent: 40 });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toHaveLength(12);
    for (const s of seen) expect(s.stored).toBe(3);

    // A replay of the same frames (agent reconnected before it saw the acks) stores nothing twice.
    await Promise.all(
      running.map(({ hostId: h, jobId }) =>
        core.jobEvents.apply(h, event("log.stream", { jobId, seq: 2, lineOffset: 0, lines: lines(0, 3) })),
      ),
    );
    expect(await core.db.select().from(jobLogs)).toHaveLength(36);
  });

  it("counts lines it already had once when a new frame repeats them", async () => {
    const group = await backupGroup();
    const { jobId } = await core.runNow.backup(group.id, operator);
    await core.jobEvents.apply(hostId, event("log.stream", { jobId, seq: 1, lineOffset: 0, lines: lines(0, 3) }));
    // A confused agent resends lines 1-2 with a new line 3 under a new seq.
    await core.jobEvents.apply(hostId, event("log.stream", { jobId, seq: 2, lineOffset: 1, lines: lines(1, 3) }));
    expect((await core.jobs.logs(jobId, -1, 100)).map((l) => l.line)).toEqual(["line 0", "line 1", "line 2", "line 3"]);
    expect(await core.jobs.get(jobId)).toMatchObject({ logLines: 4, lastSeq: 2 });
  });

  it("caps a job's log with one visible truncation marker", async () => {
    const group = await backupGroup();
    const { jobId } = await core.runNow.backup(group.id, operator);
    let offset = 0;
    let seq = 1;
    while (offset < MAX_LOG_LINES_PER_JOB + 1500) {
      const lines = Array.from({ length: 1000 }, (_, i) => ({ at: 1, stream: "stdout", line: `l${offset + i}` }));
      await core.jobEvents.apply(hostId, event("log.stream", { jobId, seq: seq++, lineOffset: offset, lines }));
      offset += 1000;
    }
    const job = await core.jobs.get(jobId);
    expect(job.logTruncated).toBe(true);
    expect(job.logLines).toBe(MAX_LOG_LINES_PER_JOB + 1);
    const markers = await core.db.select().from(jobLogs).where(eq(jobLogs.stream, "system"));
    expect(markers).toHaveLength(1);
    expect(markers[0]?.line).toMatch(/log truncated/);
  }, 120_000);
});

describe("storage failures (no acknowledged line is ever lost)", () => {
  /** A fault at the storage layer for chosen rows: SQLite refuses them, as a full disk would. */
  const failLines = (from: number, to: number) =>
    core.db.run(
      sql.raw(
        `CREATE TRIGGER fail_lines BEFORE INSERT ON job_logs WHEN NEW.seq BETWEEN ${from} AND ${to} BEGIN SELECT RAISE(ABORT, 'injected write failure'); END`,
      ),
    );
  const failFinish = () =>
    core.db.run(
      sql.raw(
        "CREATE TRIGGER fail_finish BEFORE UPDATE OF status ON jobs WHEN NEW.status = 'succeeded' BEGIN SELECT RAISE(ABORT, 'injected write failure'); END",
      ),
    );
  const heal = () =>
    core.db
      .run(sql.raw("DROP TRIGGER IF EXISTS fail_lines"))
      .then(() => core.db.run(sql.raw("DROP TRIGGER IF EXISTS fail_finish")));
  const logFrame = (jobId: string, seq: number) =>
    event("log.stream", { jobId, seq, lineOffset: (seq - 2) * 10, lines: lines((seq - 2) * 10, 10) });
  /** What the gateway does with a frame: the ack, or the error it logs. */
  const deliver = (message: Parameters<Core["jobEvents"]["apply"]>[1]) =>
    core.jobEvents.apply(hostId, message).then(
      (ack) => ({ ack }),
      () => ({ failed: true }),
    );

  it("acknowledges nothing past an event that failed to store, and stores the resent events exactly once", async () => {
    const group = await backupGroup();
    const { jobId } = await core.runNow.backup(group.id, operator);
    expect(await deliver(event("job.started", { jobId, seq: 1, kind: "backup" }))).toEqual({ ack: 1 });
    expect(await deliver(logFrame(jobId, 2))).toEqual({ ack: 2 });
    await failLines(15, 34); // frames 3 and 4
    expect(await deliver(logFrame(jobId, 3))).toEqual({ failed: true });
    expect(await deliver(logFrame(jobId, 4))).toEqual({ ack: null });
    // The frames after the gap would fit, but are neither stored nor acknowledged: an ack of 5
    // would make the agent drop 3 and 4 for good (acks are cumulative).
    expect(await deliver(logFrame(jobId, 5))).toEqual({ ack: null });
    expect(await deliver(event("job.progress", { jobId, seq: 6, percent: 50 }))).toEqual({ ack: null });
    expect(
      await deliver(
        event("job.finished", { jobId, seq: 7, status: "succeeded", exitCode: 0, error: null, summary: null }),
      ),
    ).toEqual({ ack: null });
    expect((await core.jobs.get(jobId)).lastSeq).toBe(2);
    // While the job's end waits on the agent, heartbeats without it do not interrupt it.
    await core.jobEvents.reconcileRunning(hostId, []);
    expect((await core.jobs.get(jobId)).status).toBe("running");

    await heal();
    // The agent resends from its first unacknowledged event (progress is never resent).
    const acks = [];
    for (const seq of [3, 4, 5]) acks.push(await deliver(logFrame(jobId, seq)));
    acks.push(
      await deliver(
        event("job.finished", { jobId, seq: 7, status: "succeeded", exitCode: 0, error: null, summary: null }),
      ),
    );
    expect(acks).toEqual([{ ack: 3 }, { ack: 4 }, { ack: 5 }, { ack: 7 }]);
    const stored = await core.jobs.logs(jobId, -1, 1000);
    expect(stored.map((l) => l.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(await core.jobs.get(jobId)).toMatchObject({ status: "succeeded", logLines: 40, lastSeq: 7 });
  });

  it("a job whose end failed to store is finished by the resend, never marked interrupted meanwhile", async () => {
    const group = await backupGroup();
    const { jobId } = await core.runNow.backup(group.id, operator);
    await deliver(event("job.started", { jobId, seq: 1, kind: "backup" }));
    await failFinish();
    const finished = event("job.finished", {
      jobId,
      seq: 2,
      status: "succeeded",
      exitCode: 0,
      error: null,
      summary: null,
    });
    expect(await deliver(finished)).toEqual({ failed: true });
    // Nothing of the finish is half-applied: the job and the host's last backup move together.
    expect(await core.jobs.get(jobId)).toMatchObject({ status: "running", lastSeq: 1 });
    // The agent no longer runs it but holds its unacknowledged end (heldJobIds), and the
    // console knows of the gap itself: either keeps the job from being called interrupted.
    await core.jobEvents.reconcileRunning(hostId, [], [jobId]);
    await core.jobEvents.reconcileRunning(hostId, []);
    expect((await core.jobs.get(jobId)).status).toBe("running");
    await heal();
    expect(await deliver(finished)).toEqual({ ack: 2 });
    expect(await core.jobs.get(jobId)).toMatchObject({ status: "succeeded" });
    const [host] = await core.db.select().from(hosts).where(eq(hosts.id, hostId));
    expect(host?.lastBackupStatus).toBe("succeeded");
  });

  it("asks the agent to resend a snapshot listing it could not store", async () => {
    await core.db.run(
      sql.raw(
        "CREATE TRIGGER fail_snapshots BEFORE INSERT ON snapshots BEGIN SELECT RAISE(ABORT, 'injected write failure'); END",
      ),
    );
    const report = {
      reportId: "r1",
      part: 0,
      parts: 1,
      snapshots: [{ id: "a".repeat(64), shortId: "aaaaaaaa", time: 1, hostname: "h", paths: ["/etc"], tags: [] }],
    };
    await expect(core.reports.applySnapshots(hostId, report)).rejects.toThrow();
    core.reports.onHeartbeat(hostId);
    expect(sent.filter((m) => m.type === "rpc.request").map((m) => m.payload)).toMatchObject([
      { method: "reports.resend" },
    ]);
    // Not again within the resend interval.
    core.reports.onHeartbeat(hostId);
    expect(sent.filter((m) => m.type === "rpc.request")).toHaveLength(1);
    await core.db.run(sql.raw("DROP TRIGGER fail_snapshots"));
    await core.reports.applySnapshots(hostId, { ...report, reportId: "r2" });
    const [host] = await core.db.select().from(hosts).where(eq(hosts.id, hostId));
    expect(host?.snapshotCount).toBe(1);
  });
});

describe("connect work", () => {
  it("says in one read what a reconnecting host needs: init, queued jobs, catch-ups, unaccounted slots", async () => {
    const now = Date.now();
    expect(await connectWork(core.db, hostId, now)).toEqual({
      initialised: false,
      activeJobs: false,
      pendingRuns: false,
      unaccountedSchedules: false,
    });
    const group = await backupGroup();
    const { jobId } = await core.runNow.backup(group.id, operator);
    const schedule = await core.schedules.create(
      hostId,
      { cron: "0 3 * * *", enabled: true, sourceGroupIds: [group.id] },
      operator,
    );
    await core.db.insert(pendingRuns).values({
      id: newId(),
      hostId,
      scheduleId: schedule.id,
      sourceGroupId: group.id,
      slotAt: new Date(now - 60_000),
      nextAttemptAt: new Date(now - 1_000),
    });
    await core.db
      .insert(jobs)
      .values({ id: newId(), hostId, kind: "init", status: "succeeded", params: {}, actor: "system" });
    expect(await connectWork(core.db, hostId, now + 60_000)).toEqual({
      initialised: true,
      activeJobs: true,
      pendingRuns: true,
      unaccountedSchedules: true,
    });
    await core.jobEvents.apply(
      hostId,
      event("job.finished", { jobId, seq: 1, status: "succeeded", exitCode: 0, error: null, summary: null }),
    );
    expect((await connectWork(core.db, hostId, now + 60_000)).activeJobs).toBe(false);
  });
});

describe("heartbeats", () => {
  it("are written together, and one that arrived just before a disconnect does not bring the host back online", async () => {
    const other = newId();
    await core.db.insert(hosts).values({ id: other, name: "web-02", status: "offline" });
    const live = new Set([hostId, other]);
    isConnected = (id) => live.has(id);
    await core.hosts.recordHeartbeat(hostId);
    await core.hosts.recordHeartbeat(other);
    // web-02's agent goes away before the coalesced write.
    live.delete(other);
    await core.hosts.recordDisconnect(other);
    await core.hosts.flushHeartbeats();
    const rows = await core.db.select({ id: hosts.id, status: hosts.status, seen: hosts.lastSeenAt }).from(hosts);
    expect(rows.find((r) => r.id === hostId)).toMatchObject({ status: "online" });
    expect(rows.find((r) => r.id === hostId)?.seen).not.toBeNull();
    expect(rows.find((r) => r.id === other)).toMatchObject({ status: "offline", seen: null });
  });
});

describe("interrupted jobs", () => {
  it("marks a running job interrupted when the agent's heartbeat no longer lists it", async () => {
    const group = await backupGroup();
    const { jobId } = await core.runNow.backup(group.id, operator);
    await core.jobEvents.apply(hostId, event("job.started", { jobId, seq: 1, kind: "backup" }));
    await core.jobEvents.reconcileRunning(hostId, [jobId]);
    expect((await core.jobs.get(jobId)).status).toBe("running");
    await core.jobEvents.reconcileRunning(hostId, []);
    expect((await core.jobs.get(jobId)).status).toBe("interrupted");
    // The next backup is allowed.
    await expect(core.runNow.backup(group.id, operator)).resolves.toBeTruthy();
  });

  it("still reconciles a host whose earlier heartbeats found it idle once a job is dispatched", async () => {
    const group = await backupGroup();
    // Idle heartbeats: the second one is answered from memory, without a query.
    await core.jobEvents.reconcileRunning(hostId, []);
    await core.jobEvents.reconcileRunning(hostId, []);
    const { jobId } = await core.runNow.backup(group.id, operator);
    await core.jobEvents.apply(hostId, event("job.started", { jobId, seq: 1, kind: "backup" }));
    await core.jobEvents.reconcileRunning(hostId, []);
    expect((await core.jobs.get(jobId)).status).toBe("interrupted");
  });

  it("cancels an orphan whose agent is away, and interrupts jobs past the lease", async () => {
    const group = await backupGroup();
    const { jobId } = await core.runNow.backup(group.id, operator);
    connected = false;
    expect(await core.dispatcher.cancel(jobId, operator)).toEqual({ sentToAgent: false });
    expect((await core.jobs.get(jobId)).status).toBe("cancelled");

    connected = true;
    const second = await core.runNow.backup(group.id, operator);
    await core.db
      .update(hosts)
      .set({ status: "offline", lastSeenAt: new Date(Date.now() - 3_600_000) })
      .where(eq(hosts.id, hostId));
    expect(await core.jobEvents.sweepLeases(600_000)).toBe(1);
    expect((await core.jobs.get(second.jobId)).status).toBe("interrupted");
  });
});
