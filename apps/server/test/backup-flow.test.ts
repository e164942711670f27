/**
 * Real parts end to end: the built console and the compiled agent as processes, real restic
 * against a real repository in a temp dir. Covers Run now, cancel, and kill -9 of either side
 * in the middle of a backup.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AgentProcess,
  type ConsoleProcess,
  data,
  enrollRunningAgent,
  setupAdmin,
  startConsole,
  type TestClient,
  waitFor,
} from "@restic-manager/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO_PASSWORD = "backup-flow-repo-pw";
let root: string;
let rm: ConsoleProcess;
let admin: TestClient;
let agent: AgentProcess;
let hostId: string;
let groupId: string;
let repo: string;
let smallData: string;
let bigData: string;

type Job = {
  id: string;
  status: string;
  error: string | null;
  stats: Record<string, unknown> | null;
  logLines: number;
};

const getJob = (jobId: string) => data<Job>(admin.query("jobs.get", { jobId }));
const waitJob = (jobId: string, statuses: string[], timeoutMs = 120_000) =>
  waitFor(
    () => getJob(jobId),
    (j) => statuses.includes(j.status),
    timeoutMs,
    `job ${jobId} to be ${statuses.join("/")}`,
  );
const setPaths = (paths: string[]) =>
  data(admin.call("sources.update", { groupId, name: "default", includePaths: paths, excludePatterns: [] }));
const resticSnapshots = () =>
  JSON.parse(
    execFileSync("restic", ["snapshots", "--json", "--no-lock"], {
      env: { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: REPO_PASSWORD },
    }).toString(),
  ) as unknown[];
const resticProcesses = () =>
  spawnSync("pgrep", ["-af", "restic"], { encoding: "utf8" })
    .stdout.split("\n")
    .filter((l) => l.includes(bigData) || l.includes(smallData));

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "rm-flow-"));
  repo = join(root, "repo");
  smallData = join(root, "small");
  bigData = join(root, "big");
  mkdirSync(smallData);
  for (let i = 0; i < 50; i++) writeFileSync(join(smallData, `file-${i}.txt`), `file ${i}\n`.repeat(100));
  // Incompressible data, enough for a backup to take several seconds.
  mkdirSync(bigData);
  for (let i = 0; i < 12; i++) writeFileSync(join(bigData, `blob-${i}`), randomBytes(40 * 1024 * 1024));

  rm = await startConsole();
  admin = await setupAdmin(rm.url, rm.setupUrl);
  ({ agent, hostId } = await enrollRunningAgent({
    consoleUrl: rm.url,
    admin,
    dir: join(root, "agent"),
    hostname: "flow-host",
    repoUrl: repo,
    repoPassword: REPO_PASSWORD,
  }));
  const groups = await data<{ items: { id: string }[] }>(admin.query("sources.list", { hostId }));
  groupId = groups.items[0]?.id ?? "";
}, 300_000);

afterAll(async () => {
  await agent?.stop("SIGKILL");
  await rm?.stop("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

describe("backups with the real agent and restic", () => {
  it("initialises the repository on first connection", async () => {
    const init = await waitFor(
      () => data<{ id: string; status: string } | null>(admin.query("hosts.initStatus", { hostId })),
      (j) => j?.status === "succeeded" || j?.status === "failed",
      60_000,
      "the init job",
    );
    expect(init?.status).toBe("succeeded");
  });

  it("Run now backs up the group's paths; the snapshot is tagged and listed", async () => {
    await setPaths([smallData]);
    const { jobId } = await data<{ jobId: string }>(admin.call("jobs.runBackup", { groupId }));
    const job = await waitJob(jobId, ["succeeded", "failed"]);
    expect(job.status, job.error ?? "").toBe("succeeded");
    expect(job.stats?.snapshotId).toBeTruthy();
    const snaps = await waitFor(
      () =>
        data<{ items: { tags: string[]; paths: string[] }[]; total: number }>(
          admin.query("hosts.snapshots", { hostId }),
        ),
      (s) => s.total === 1,
      30_000,
      "the snapshot list",
    );
    expect(snaps.items[0]).toMatchObject({ tags: ["default"], paths: [smallData] });
    const host = await data<{ lastBackupStatus: string; snapshotCount: number }>(admin.query("hosts.get", { hostId }));
    expect(host).toMatchObject({ lastBackupStatus: "succeeded", snapshotCount: 1 });
  });

  it("a second request while a job runs is refused, naming the running job", async () => {
    await setPaths([bigData]);
    const { jobId } = await data<{ jobId: string }>(admin.call("jobs.runBackup", { groupId }));
    const second = await admin.call("jobs.runBackup", { groupId });
    expect(second.body.error?.message).toContain(jobId);
    await waitJob(jobId, ["succeeded", "failed", "cancelled", "interrupted"]);
  }, 180_000);

  it("Cancel stops a long backup within 10 s and leaves no restic process", async () => {
    await setPaths([bigData, smallData]);
    const { jobId } = await data<{ jobId: string }>(admin.call("jobs.runBackup", { groupId }));
    await waitJob(jobId, ["running"], 30_000);
    const started = Date.now();
    await data(admin.call("jobs.cancel", { jobId }));
    const job = await waitJob(jobId, ["cancelled", "succeeded", "failed"], 15_000);
    expect(job.status).toBe("cancelled");
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(resticProcesses()).toEqual([]);
  }, 120_000);

  it("kill -9 of the server mid-backup: the job still succeeds, every log line once, one new snapshot", async () => {
    const before = resticSnapshots().length;
    const { jobId } = await data<{ jobId: string }>(admin.call("jobs.runBackup", { groupId }));
    await waitJob(jobId, ["running"], 30_000);
    await rm.stop("SIGKILL");
    await new Promise((r) => setTimeout(r, 1500));
    rm = await startConsole({ dataDir: rm.dataDir, port: rm.port });
    const job = await waitJob(jobId, ["succeeded", "failed", "interrupted", "cancelled"], 180_000);
    expect(job.status, job.error ?? "").toBe("succeeded");
    const { items: lines } = await data<{ items: { seq: number }[] }>(admin.query("jobs.logs", { jobId, limit: 5000 }));
    expect(lines.length).toBe(job.logLines);
    expect(lines.map((l) => l.seq)).toEqual(lines.map((_, i) => i));
    expect(resticSnapshots().length).toBe(before + 1);
  }, 300_000);

  it("kill -9 of the agent mid-backup: the job becomes interrupted and the next backup succeeds", async () => {
    const { jobId } = await data<{ jobId: string }>(admin.call("jobs.runBackup", { groupId }));
    await waitJob(jobId, ["running"], 30_000);
    await agent.stop("SIGKILL");
    agent.start();
    const job = await waitJob(jobId, ["interrupted", "failed", "succeeded", "cancelled"], 60_000);
    expect(job.status).toBe("interrupted");
    // The restarted agent ends the restic its killed predecessor left behind.
    await waitFor(
      async () => resticProcesses(),
      (p) => p.length === 0,
      15_000,
      "no restic process left",
    );
    await setPaths([smallData]);
    const next = await data<{ jobId: string }>(admin.call("jobs.runBackup", { groupId }));
    const done = await waitJob(next.jobId, ["succeeded", "failed"]);
    expect(done.status, done.error ?? "").toBe("succeeded");
  }, 180_000);
});
