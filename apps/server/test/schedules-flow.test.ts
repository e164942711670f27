/**
 * Schedules, catch-up, retention and repository maintenance with real parts: the built console
 * and the compiled agent as processes, real restic against a repository in a temp dir.
 * The steps run in order and share one host, like an operator's afternoon.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

const REPO_PASSWORD = "schedules-flow-repo-pw";
const ADMIN_KEY_PASSWORD = "schedules-flow-admin-key-pw";
const EVERY_10S = "*/10 * * * * *";

let root: string;
let rm: ConsoleProcess;
let admin: TestClient;
let agent: AgentProcess;
let hostId: string;
let repo: string;
let etcGroup: string;
let homeGroup: string;
let scheduleId: string;

type Job = {
  id: string;
  kind: string;
  status: string;
  error: string | null;
  trigger: string;
  scheduledFor: string | null;
  startedAt: string | null;
  createdAt: string;
  params: { paths?: string[]; tags?: string[] } | null;
};
type Host = { scheduleVersion: number; scheduleAckedVersion: number | null; status: string };

const getJob = (jobId: string) => data<Job>(admin.query("jobs.get", { jobId }));
const waitJob = (jobId: string, statuses: string[], timeoutMs = 120_000) =>
  waitFor(
    () => getJob(jobId),
    (j) => statuses.includes(j.status),
    timeoutMs,
    `job ${jobId} to be ${statuses.join("/")}`,
  );
const FINAL = ["succeeded", "failed", "cancelled", "interrupted"];
const listJobs = async (kind?: string) =>
  (await data<{ items: { id: string }[] }>(admin.query("jobs.list", { hostId, kind, limit: 200 }))).items;
const backupJobs = async () => Promise.all((await listJobs("backup")).map((r) => getJob(r.id)));
const resticEnv = { ...process.env, RESTIC_PASSWORD: REPO_PASSWORD };
const restic = (...args: string[]) =>
  execFileSync("restic", ["-r", repo, ...args], { env: resticEnv, encoding: "utf8" });
const snapshotsTagged = (tag: string) => (JSON.parse(restic("snapshots", "--json", "--tag", tag)) as unknown[]).length;
const idle = () =>
  waitFor(
    async () =>
      (await Promise.all((await listJobs()).slice(0, 20).map((r) => getJob(r.id)))).filter(
        (j) => !FINAL.includes(j.status),
      ),
    (active) => active.length === 0,
    120_000,
    "the host to be idle",
  );
const logText = async (jobId: string) =>
  (await data<{ items: { line: string }[] }>(admin.query("jobs.logs", { jobId, limit: 5000 }))).items
    .map((l) => l.line)
    .join("\n");

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "rm-sched-flow-"));
  repo = join(root, "repo");
  for (const name of ["etc", "home"]) {
    mkdirSync(join(root, name));
    for (let i = 0; i < 20; i++) writeFileSync(join(root, name, `${name}-${i}.txt`), `${name} ${i}\n`.repeat(50));
  }
  rm = await startConsole();
  admin = await setupAdmin(rm.url, rm.setupUrl);
  ({ agent, hostId } = await enrollRunningAgent({
    consoleUrl: rm.url,
    admin,
    dir: join(root, "agent"),
    hostname: "sched-host",
    repoUrl: repo,
    repoPassword: REPO_PASSWORD,
    waitForInit: true,
  }));
  const {
    items: [first],
  } = await data<{ items: { id: string }[] }>(admin.query("sources.list", { hostId }));
  etcGroup = first?.id ?? "";
  await data(
    admin.call("sources.update", {
      groupId: etcGroup,
      name: "etc",
      includePaths: [join(root, "etc")],
      excludePatterns: [],
      retention: {
        keepLast: 2,
        keepHourly: null,
        keepDaily: null,
        keepWeekly: null,
        keepMonthly: null,
        keepYearly: null,
        keepWithin: null,
      },
    }),
  );
  homeGroup = (
    await data<{ id: string }>(
      admin.call("sources.create", { hostId, name: "home", includePaths: [join(root, "home")], excludePatterns: [] }),
    )
  ).id;
}, 300_000);

afterAll(async () => {
  await agent?.stop("SIGKILL");
  await rm?.stop("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

describe("schedules with the real agent", () => {
  it("a 10 s schedule over two groups runs on time with the right paths and tags", async () => {
    const schedule = await data<{ id: string }>(
      admin.call("schedules.create", { hostId, cron: EVERY_10S, enabled: true, sourceGroupIds: [etcGroup, homeGroup] }),
    );
    scheduleId = schedule.id;
    const runs = await waitFor(
      async () => (await backupJobs()).filter((j) => j.trigger === "schedule" && j.status === "succeeded"),
      (r) => r.length >= 4,
      60_000,
      "two slots of both groups to run",
    );
    for (const job of runs) {
      const slot = Date.parse(job.scheduledFor ?? "");
      expect(slot % 10_000).toBe(0);
      // Created by the agent's fire, within a few seconds of the slot.
      expect(Date.parse(job.createdAt) - slot).toBeLessThan(5_000);
      const tag = job.params?.tags?.[0];
      expect(["etc", "home"]).toContain(tag);
      expect(job.params?.paths).toEqual([join(root, tag ?? "")]);
    }
    const slots = runs.map((j) => `${j.scheduledFor}/${j.params?.tags?.[0]}`);
    expect(new Set(slots).size).toBe(slots.length);
    expect(snapshotsTagged("etc")).toBeGreaterThanOrEqual(2);
    expect(snapshotsTagged("home")).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it("after an edit the agent is in sync again within 5 s", async () => {
    const before = await data<Host>(admin.query("hosts.get", { hostId }));
    expect(before.scheduleAckedVersion).toBe(before.scheduleVersion);
    const edited = Date.now();
    await data(
      admin.call("schedules.update", { scheduleId, cron: EVERY_10S, enabled: true, sourceGroupIds: [homeGroup] }),
    );
    const after = await waitFor(
      () => data<Host>(admin.query("hosts.get", { hostId })),
      (h) => h.scheduleVersion > before.scheduleVersion && h.scheduleAckedVersion === h.scheduleVersion,
      5_000,
      "the agent to ack the new schedule set",
    );
    expect(after.scheduleVersion).toBe(before.scheduleVersion + 1);
    expect(Date.now() - edited).toBeLessThan(5_000);
  });

  it("an agent stopped across three fires gets exactly one catch-up run", async () => {
    await idle();
    await agent.stop("SIGTERM");
    await waitFor(
      () => data<Host>(admin.query("hosts.get", { hostId })),
      (h) => h.status === "offline",
      10_000,
      "the host to go offline",
    );
    const stoppedAt = Date.now();
    await new Promise((r) => setTimeout(r, 33_000)); // three slots
    const during = (await backupJobs()).filter((j) => Date.parse(j.createdAt) > stoppedAt);
    expect(during).toEqual([]);
    agent.start();
    const catchUps = await waitFor(
      async () => (await backupJobs()).filter((j) => j.trigger === "catch-up"),
      (c) => c.length >= 1 && c.every((j) => FINAL.includes(j.status)),
      60_000,
      "the catch-up run",
    );
    // Let a few more slots pass: regular runs resume, no second catch-up appears.
    await new Promise((r) => setTimeout(r, 12_000));
    const all = await backupJobs();
    const after = all.filter((j) => j.trigger === "catch-up");
    expect(after).toHaveLength(1);
    expect(catchUps[0]?.status).toBe("succeeded");
    expect(catchUps[0]?.params?.tags).toEqual(["home"]);
    // Pause the schedule for the rest of the file.
    await data(
      admin.call("schedules.update", { scheduleId, cron: EVERY_10S, enabled: false, sourceGroupIds: [homeGroup] }),
    );
    await idle();
  }, 180_000);
});

describe("retention and maintenance with the real agent", () => {
  it("forget with keep-last 2 after five backups leaves two of that group and the other untouched", async () => {
    for (let i = 0; i < 5; i++) {
      writeFileSync(join(root, "etc", "changing.txt"), `run ${i}`);
      const { jobId } = await data<{ jobId: string }>(admin.call("sources.runNow", { groupId: etcGroup }));
      expect((await waitJob(jobId, FINAL)).status).toBe("succeeded");
    }
    const homeBefore = snapshotsTagged("home");
    expect(snapshotsTagged("etc")).toBeGreaterThanOrEqual(5);
    const forget = await data<{ jobIds: string[]; skipped: string[] }>(admin.call("repo.runForget", { hostId }));
    expect(forget.skipped).toEqual(["home"]);
    expect(forget.jobIds).toHaveLength(1);
    const job = await waitJob(forget.jobIds[0] ?? "", FINAL);
    expect(job.status, job.error ?? "").toBe("succeeded");
    expect(snapshotsTagged("etc")).toBe(2);
    expect(snapshotsTagged("home")).toBe(homeBefore);
  }, 180_000);

  it("prune runs with the admin credential: a wrong one fails it, the right one succeeds", async () => {
    const keyFile = join(root, "admin-key-pw");
    writeFileSync(keyFile, ADMIN_KEY_PASSWORD, { mode: 0o600 });
    restic("key", "add", "--new-password-file", keyFile);
    await data(
      admin.call("repo.updateAdminCredentials", { hostId, username: null, password: "not-a-key-of-this-repo" }),
    );
    const wrong = await data<{ jobId: string }>(admin.call("repo.runPrune", { hostId }));
    const failed = await waitJob(wrong.jobId, FINAL);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/wrong password|no key found/i);
    await data(admin.call("repo.updateAdminCredentials", { hostId, username: null, password: ADMIN_KEY_PASSWORD }));
    const right = await data<{ jobId: string }>(admin.call("repo.runPrune", { hostId }));
    const done = await waitJob(right.jobId, FINAL);
    expect(done.status, done.error ?? "").toBe("succeeded");
    const log = await logText(right.jobId);
    expect(log).toMatch(/prune/);
    expect(log).not.toContain(ADMIN_KEY_PASSWORD);
    expect(log).not.toContain(REPO_PASSWORD);
    expect(JSON.stringify(await getJob(right.jobId))).not.toContain(ADMIN_KEY_PASSWORD);
  }, 180_000);

  it("a stale lock left by a killed backup: the banner shows, unlock clears it, the next backup succeeds", async () => {
    const big = join(root, "big");
    mkdirSync(big);
    writeFileSync(join(big, "blob"), randomBytes(300 * 1024 * 1024));
    const child = spawn("restic", ["-r", repo, "backup", big], { env: resticEnv, stdio: "ignore" });
    await waitFor(
      async () => (existsSync(join(repo, "locks")) ? readdirSync(join(repo, "locks")) : []),
      (l) => l.length > 0,
      20_000,
      "restic to take its lock",
    );
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect(readdirSync(join(repo, "locks")).length).toBeGreaterThan(0);
    // check wants an exclusive lock: it fails on the stale one and the Repo page says why.
    const check = await data<{ jobId: string }>(admin.call("repo.runCheck", { hostId, subsetPct: 0 }));
    const blocked = await waitJob(check.jobId, FINAL);
    expect(blocked.status).toBe("failed");
    expect(blocked.error).toMatch(/locked/);
    const overview = await data<{ lock: { error: string } | null }>(admin.query("repo.overview", { hostId }));
    expect(overview.lock?.error).toMatch(/locked/);
    const unlock = await data<{ jobId: string }>(admin.call("repo.runUnlock", { hostId }));
    expect((await waitJob(unlock.jobId, FINAL)).status).toBe("succeeded");
    expect(readdirSync(join(repo, "locks"))).toEqual([]);
    const cleared = await data<{ lock: unknown }>(admin.query("repo.overview", { hostId }));
    expect(cleared.lock).toBeNull();
    const { jobId } = await data<{ jobId: string }>(admin.call("sources.runNow", { groupId: homeGroup }));
    expect((await waitJob(jobId, FINAL)).status).toBe("succeeded");
    rmSync(big, { recursive: true, force: true });
  }, 180_000);

  it("a bandwidth cap reaches restic as --limit-upload, in the recorded command line without secrets", async () => {
    await data(admin.call("repo.updateBandwidth", { hostId, uploadKbps: 20_000, downloadKbps: null }));
    const { jobId } = await data<{ jobId: string }>(admin.call("sources.runNow", { groupId: homeGroup }));
    expect((await waitJob(jobId, FINAL)).status).toBe("succeeded");
    const log = await logText(jobId);
    expect(log).toMatch(/--limit-upload[= ]20000/);
    expect(log).not.toContain(REPO_PASSWORD);
    // A per-run override wins.
    const override = await data<{ jobId: string }>(
      admin.call("sources.runNow", { groupId: homeGroup, limits: { uploadKbps: 5_000, downloadKbps: null } }),
    );
    await waitJob(override.jobId, FINAL);
    expect(await logText(override.jobId)).toMatch(/--limit-upload[= ]5000/);
    await data(admin.call("repo.updateBandwidth", { hostId, uploadKbps: null, downloadKbps: null }));
  }, 120_000);

  it("a failing pre-hook aborts the backup; the post-hook sees RM_JOB_STATUS=failed and no repository secret", async () => {
    const envFile = join(root, "post-hook-env");
    await data(
      admin.call("sources.update", {
        groupId: homeGroup,
        name: "home",
        includePaths: [join(root, "home")],
        excludePatterns: [],
        preHook: "echo stopping the database; exit 1",
        postHook: `env > '${envFile}'`,
      }),
    );
    const before = snapshotsTagged("home");
    const { jobId } = await data<{ jobId: string }>(admin.call("sources.runNow", { groupId: homeGroup }));
    const job = await waitJob(jobId, FINAL);
    expect(job.status).toBe("failed");
    expect(job.error).toBe("pre-hook exited with code 1, so the backup was not started");
    expect(await logText(jobId)).toContain("hook(pre): stopping the database");
    const env = readFileSync(envFile, "utf8");
    expect(env).toContain("RM_JOB_STATUS=failed");
    expect(env).not.toContain(REPO_PASSWORD);
    expect(env).not.toMatch(/^RESTIC_/m);
    expect(snapshotsTagged("home")).toBe(before);
    await data(
      admin.call("sources.update", {
        groupId: homeGroup,
        name: "home",
        includePaths: [join(root, "home")],
        excludePatterns: [],
        preHook: null,
        postHook: null,
      }),
    );
  }, 120_000);

  it("check reading all data fails on a damaged pack with restic's message", async () => {
    const dataDir = join(repo, "data");
    const sub = readdirSync(dataDir).find((d) => readdirSync(join(dataDir, d)).length > 0) ?? "";
    const pack = join(dataDir, sub, readdirSync(join(dataDir, sub))[0] ?? "");
    const bytes = readFileSync(pack);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = (bytes[middle] ?? 0) ^ 0xff;
    writeFileSync(pack, bytes);
    const { jobId } = await data<{ jobId: string }>(admin.call("repo.runCheck", { hostId, subsetPct: 100 }));
    const job = await waitJob(jobId, FINAL);
    expect(job.status).toBe("failed");
    expect(job.error).toMatch(/pack|does not match|ciphertext|Fatal/i);
    const overview = await data<{ lastCheck: { status: string } | null }>(admin.query("repo.overview", { hostId }));
    expect(overview.lastCheck?.status).toBe("failed");
  }, 120_000);
});
