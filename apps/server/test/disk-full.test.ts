/**
 * The console's disk fills in the middle of a backup, for real: its data directory is a small
 * tmpfs, and a ballast file takes the last byte once the job runs. The agent (own disk), restic
 * and the repository are real. While the disk is full the console must say so and keep
 * answering reads and sign-ins; once space returns, without restarting anything, the job must
 * end `succeeded` with every log line stored exactly once and the snapshot list must match
 * restic's.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ADMIN_PASSWORD,
  type AgentProcess,
  type ConsoleProcess,
  consoleWithAgent,
  data,
  TestClient,
  waitFor,
} from "@restic-manager/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO_PASSWORD = "disk-full-repo-pw";
const SMALL_FILES = 3_000;

/** Mounting needs root (CI and the dev machines run as root); elsewhere this file cannot run. */
function tryMount(dir: string): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync("mount", ["-t", "tmpfs", "-o", "size=48m,mode=0700", "tmpfs", dir]).status === 0;
}

const root = mkdtempSync(join(tmpdir(), "rm-diskfull-"));
const consoleDir = join(root, "console");
mkdirSync(consoleDir);
const mounted = tryMount(consoleDir);

let rm: ConsoleProcess;
let admin: TestClient;
let agent: AgentProcess;
let hostId: string;
let groupId: string;
let repo: string;
const ballast = join(consoleDir, "ballast");

/** Takes every free byte of the console's volume. */
function fillDisk(): void {
  const fd = openSync(ballast, "w");
  const chunks = [1024 * 1024, 4096, 512];
  try {
    for (const size of chunks) {
      const buf = Buffer.alloc(size);
      try {
        for (;;) writeSync(fd, buf);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
}

const resticSnapshotIds = () =>
  (
    JSON.parse(
      execFileSync("restic", ["snapshots", "--json", "--no-lock"], {
        env: { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: REPO_PASSWORD },
      }).toString(),
    ) as { id: string }[]
  )
    .map((s) => s.id)
    .sort();

beforeAll(async () => {
  if (!mounted) return;
  repo = join(root, "repo");
  const source = join(root, "source");
  // restic reads the big file first; the small ones (one log line each) follow while the disk is full.
  mkdirSync(join(source, "b-small"), { recursive: true });
  writeFileSync(join(source, "a-big.bin"), randomBytes(24 * 1024 * 1024));
  for (let i = 0; i < SMALL_FILES; i++) writeFileSync(join(source, "b-small", `f-${i}.txt`), `file ${i}\n`);

  ({ rm, admin, agent, hostId, groupId } = await consoleWithAgent({
    dir: root,
    hostname: "diskfull-host",
    repoUrl: repo,
    repoPassword: REPO_PASSWORD,
    paths: [source],
    console: { dataDir: consoleDir },
  }));
  // Slow enough that the job is still streaming when the disk fills.
  await data(admin.call("repo.updateBandwidth", { hostId, uploadKbps: 4_000, downloadKbps: null }));
}, 300_000);

afterAll(async () => {
  await agent?.stop("SIGKILL");
  await rm?.stop("SIGKILL");
  if (mounted) spawnSync("umount", ["-l", consoleDir]);
  rmSync(root, { recursive: true, force: true });
});

// Skipped only where tmpfs cannot be mounted (not root): the reason is `mounted`, above.
describe.skipIf(!mounted)("the console's disk fills mid-backup", () => {
  it("says so, keeps serving reads and sign-ins, and loses nothing once space returns", async () => {
    const token = await data<{ token: string }>(admin.call("apiTokens.create", { name: "disk-full-script" }));
    const script = new TestClient(rm.url, { bearer: token.token, origin: null });
    const before = resticSnapshotIds();
    const { jobId } = await data<{ jobId: string }>(admin.call("jobs.runBackup", { groupId }));
    await waitFor(
      () => data<{ status: string }>(admin.query("jobs.get", { jobId })),
      (j) => j.status === "running",
      30_000,
      "the backup to run",
    );

    fillDisk();
    const answers: string[] = [];

    // Readiness says what is wrong, in words.
    const ready = await waitFor(
      async () => {
        const res = await fetch(`${rm.url}/readyz`);
        return { status: res.status, body: (await res.json()) as { reason?: string } };
      },
      (r) => r.status === 503,
      15_000,
      "/readyz to report not ready",
    );
    expect(ready.body.reason).toMatch(/disk is full/);

    // A script's reads with an API token still answer.
    const listed = await script.call("hosts.list", { limit: 10 }, "query");
    answers.push(listed.text);
    expect(listed.status, listed.text).toBe(200);

    // An existing user can still sign in, and the new session works for reads.
    const operator = new TestClient(rm.url);
    const signIn = await operator.call("auth.signIn", { username: "admin", password: ADMIN_PASSWORD });
    answers.push(signIn.text);
    expect(signIn.status, signIn.text).toBe(200);
    const host = await operator.call("hosts.get", { hostId }, "query");
    answers.push(host.text);
    expect(host.status, host.text).toBe(200);
    // A second session signs out while the disk is full: it ends at once, and stays ended after
    // the waiting writes land (the session row must not come back).
    const leaver = new TestClient(rm.url);
    expect((await leaver.call("auth.signIn", { username: "admin", password: ADMIN_PASSWORD })).status).toBe(200);
    const leaverCookie = leaver.cookie;
    const signOut = await leaver.call("auth.signOut", {});
    answers.push(signOut.text);
    expect(signOut.status, signOut.text).toBe(200);
    leaver.cookie = leaverCookie;
    expect((await leaver.call("hosts.get", { hostId }, "query")).status).toBe(401);

    // A change cannot be saved: the answer says why, with an error id, and no SQL.
    const change = await admin.call("sources.update", {
      groupId,
      name: "renamed-while-full",
      includePaths: ["/srv"],
      excludePatterns: [],
    });
    answers.push(change.text);
    expect(change.status).toBe(503);
    expect(change.body.error?.message).toMatch(/disk is full.*error id [0-9a-f]{12}/s);

    // restic finishes its snapshot while the console cannot store the job's end.
    await waitFor(
      async () => resticSnapshotIds(),
      (ids) => ids.length === before.length + 1,
      120_000,
      "restic to write the snapshot",
    );
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await data<{ status: string }>(admin.query("jobs.get", { jobId }))).toMatchObject({ status: "running" });

    for (const text of answers) expect(text).not.toMatch(/Failed query|select |insert |update "|SQLITE_|params:/i);
    // Agent frames really failed to store (logged once per interval, with a count).
    expect(rm.logs.some((l) => l.includes("could not store an agent message"))).toBe(true);

    // Space returns; nothing is restarted.
    rmSync(ballast);
    const job = await waitFor(
      () => data<{ status: string; error: string | null; logLines: number }>(admin.query("jobs.get", { jobId })),
      (j) => j.status !== "running" && j.status !== "queued",
      120_000,
      "the job to end",
    );
    expect(job.status, job.error ?? "").toBe("succeeded");
    // Delivered by resends on the same connection: the agent was never restarted.
    expect(agent.output.join("")).toMatch(/sending them again/);
    const { items: lines } = await data<{ items: { seq: number; line: string }[] }>(
      admin.query("jobs.logs", { jobId, limit: 5000 }),
    );
    expect(lines.length).toBe(job.logLines);
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i));
    for (let i = 0; i < SMALL_FILES; i += 500) {
      expect(lines.filter((l) => l.line.includes(`f-${i}.txt`))).toHaveLength(1);
    }
    const after = resticSnapshotIds();
    const listedSnapshots = await waitFor(
      () => data<{ items: { snapshotId: string }[]; total: number }>(admin.query("hosts.snapshots", { hostId })),
      (s) => s.total === after.length,
      60_000,
      "the console's snapshot list to match restic's",
    );
    expect(listedSnapshots.items.map((s) => s.snapshotId).sort()).toEqual(after);
    // The waiting session rows landed: the signed-in session still works, the signed-out one not.
    expect((await operator.call("hosts.get", { hostId }, "query")).status).toBe(200);
    expect((await leaver.call("hosts.get", { hostId }, "query")).status).toBe(401);
    // Ready again once writes have succeeded for a while (a failure is held 30 s against flapping).
    await waitFor(
      async () => (await fetch(`${rm.url}/readyz`)).status,
      (status) => status === 200,
      45_000,
      "/readyz to be ready again",
    );
  }, 360_000);
});
