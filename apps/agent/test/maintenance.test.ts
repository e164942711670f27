/**
 * forget / prune / check / unlock, bandwidth caps and backup hooks, end to end inside the agent:
 * the in-process agent, the fake server, the real restic 0.14 and real repositories in temp dirs.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hookEnv } from "../src/jobs/hooks.js";
import { formatCommandLine, limitArgs } from "../src/restic/common.js";
import { forgetArgs, parseForgetLine, summarizeForget } from "../src/restic/forget.js";
import {
  helloWithRepo,
  jobLines,
  REAL_RESTIC,
  REPO_PASSWORD,
  type StartedAgent,
  sendCommand,
  settle,
  startAgent,
  waitFinished,
} from "./helpers/agent-harness.js";
import { tempDir } from "./helpers/config.js";
import { type FakeServer, startFakeServer } from "./helpers/fake-server.js";

let tmp: ReturnType<typeof tempDir>;
let server: FakeServer | null;
let started: StartedAgent | null;
let repo: string;

beforeEach(() => {
  tmp = tempDir("rm-agent-maint-");
  repo = join(tmp.dir, "repo");
  server = null;
  started = null;
});
afterEach(async () => {
  await started?.agent.stop();
  await server?.close();
  spawnSync("pkill", ["-KILL", "-f", tmp.dir]);
  tmp.cleanup();
});

const envFor = (repository: string, password = REPO_PASSWORD) => ({
  ...process.env,
  RESTIC_REPOSITORY: repository,
  RESTIC_PASSWORD: password,
});
const restic = (args: string[], repository = repo, password = REPO_PASSWORD) =>
  execFileSync(REAL_RESTIC, args, { env: envFor(repository, password), encoding: "utf8" });
const initRepo = (repository = repo, password = REPO_PASSWORD) => restic(["init"], repository, password);
const snapshotsOf = (repository = repo, password = REPO_PASSWORD) =>
  JSON.parse(restic(["snapshots", "--json", "--no-lock"], repository, password)) as { tags?: string[] }[];

function tree(name: string) {
  const dir = join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "file.txt"), `${name}\n`.repeat(100));
  return dir;
}

async function boot() {
  server = await startFakeServer({ autoAck: true, onHello: helloWithRepo(repo) });
  started = await startAgent(server, tmp.dir);
  await server.waitFor("config.ack");
  return { server, session: server.sessions[0]! };
}

const texts = (jobId: string) => jobLines(server!, jobId).map((l) => l.line);

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? filesUnder(path) : e.isFile() ? [path] : [];
  });
}

describe("argument building", () => {
  it("forget: keep flags, one AND tag filter, --prune", () => {
    expect(
      forgetArgs({
        keepLast: 2,
        keepHourly: null,
        keepDaily: 7,
        keepWeekly: null,
        keepMonthly: null,
        keepYearly: 1,
        keepWithin: "30d",
        tags: ["group-a", "nightly"],
        prune: true,
      }),
    ).toEqual([
      "forget",
      "--json",
      "--keep-last",
      "2",
      "--keep-daily",
      "7",
      "--keep-yearly",
      "1",
      "--keep-within",
      "30d",
      "--tag=group-a,nightly",
      "--prune",
    ]);
  });

  it("limits become global flags; the command line quotes what needs it", () => {
    expect(limitArgs(undefined)).toEqual([]);
    expect(limitArgs({ uploadKbps: 2048, downloadKbps: null })).toEqual(["--limit-upload", "2048"]);
    expect(limitArgs({ uploadKbps: null, downloadKbps: 10 })).toEqual(["--limit-download", "10"]);
    expect(formatCommandLine("restic", ["backup", "--", "/srv/my data", "/it's"])).toBe(
      `$ restic backup -- '/srv/my data' '/it'\\''s'`,
    );
  });

  it("parses forget's JSON (restic 0.14) into kept and removed", () => {
    const text = readFileSync(join(import.meta.dirname, "fixtures/restic/0.14-forget.stdout.txt"), "utf8");
    const groups = parseForgetLine(text.split("\n")[0]!);
    expect(groups).not.toBeNull();
    expect(summarizeForget(groups!)).toMatchObject({ groups: 1, kept: 1, removed: 2 });
    expect(parseForgetLine("loading indexes...")).toBeNull();
  });

  it("the hook environment has no RESTIC_* and no RM_TOKEN", () => {
    const env = hookEnv(
      { RM_JOB_ID: "j1" },
      { PATH: "/bin", RESTIC_PASSWORD: "x", RESTIC_REPOSITORY: "/r", restic_password_file: "/p", RM_TOKEN: "t" },
    );
    expect(env).toEqual({ PATH: "/bin", RM_JOB_ID: "j1" });
  });
});

describe("forget job", () => {
  it("keep-last 2 after five backups of group A leaves two of A and none of group B touched", async () => {
    initRepo();
    const a = tree("a");
    const b = tree("b");
    for (let i = 0; i < 5; i++) restic(["backup", "-q", "--tag", "group-a", a]);
    for (let i = 0; i < 3; i++) restic(["backup", "-q", "--tag", "group-b", b]);
    const before = snapshotsOf();
    const bIds = before.filter((s) => s.tags?.includes("group-b")).map((s) => (s as { id: string }).id);
    const { server, session } = await boot();
    sendCommand(session, {
      jobId: "forget-1",
      kind: "forget",
      params: {
        keepLast: 2,
        keepHourly: null,
        keepDaily: null,
        keepWeekly: null,
        keepMonthly: null,
        keepYearly: null,
        keepWithin: null,
        tags: ["group-a"],
        prune: false,
      },
    });
    const finished = await waitFinished(server, "forget-1");
    expect(finished.payload, finished.payload.error ?? "").toMatchObject({
      status: "succeeded",
      exitCode: 0,
      summary: { snapshotsKept: 2, snapshotsRemoved: 3, groups: 1, pruned: false },
    });
    const after = snapshotsOf();
    expect(after.filter((s) => s.tags?.includes("group-a"))).toHaveLength(2);
    expect(after.filter((s) => s.tags?.includes("group-b")).map((s) => (s as { id: string }).id)).toEqual(bIds);

    const lines = texts("forget-1");
    expect(lines).toContain("$ restic forget --json --keep-last 2 --tag=group-a");
    expect(lines.filter((l) => /^removed snapshot [0-9a-f]{8} of .*\/a from .* \[group-a\]$/.test(l))).toHaveLength(3);
    expect(lines).toContain("kept 2 snapshots, removed 3 (1 group)");
    expect(lines).toContain("reported 5 snapshots to the server");
    const report = await server.waitFor("snapshots.report");
    expect(report.payload.snapshots).toHaveLength(5);
    await server.waitFor("repo.stats");
  }, 60_000);

  it("reads a forget report longer than the 1 MiB line bound", async () => {
    const snap = (i: number) => ({
      time: "2024-05-01T10:00:00.123456789Z",
      tree: "e".repeat(64),
      paths: [`/srv/data-${"x".repeat(200)}`],
      hostname: "h",
      tags: ["group-a"],
      id: i.toString(16).padStart(64, "0"),
      short_id: i.toString(16).padStart(8, "0"),
    });
    const report = [
      {
        tags: null,
        host: "h",
        paths: ["/srv"],
        keep: [snap(0)],
        remove: Array.from({ length: 4000 }, (_, i) => snap(i + 1)),
      },
    ];
    const reportFile = join(tmp.dir, "forget.json");
    writeFileSync(reportFile, `${JSON.stringify(report)}\n`);
    expect(statSync(reportFile).size).toBeGreaterThan(1024 * 1024);
    const fake = join(tmp.dir, "fake-restic");
    writeFileSync(
      fake,
      `#!/bin/sh
for a in "$@"; do case "$a" in
  version) echo "restic 0.14.0 compiled with go1.19.8 on linux/amd64"; exit 0 ;;
  forget) cat '${reportFile}'; exit 0 ;;
  snapshots) echo '[]'; exit 0 ;;
  stats) echo '{"total_size":0,"total_file_count":0,"snapshots_count":0}'; exit 0 ;;
esac; done
exit 1
`,
      { mode: 0o755 },
    );
    server = await startFakeServer({ autoAck: true, onHello: helloWithRepo(repo) });
    started = await startAgent(server, tmp.dir, { resticPath: fake });
    await server.waitFor("config.ack");
    sendCommand(server.sessions[0]!, {
      jobId: "forget-big",
      kind: "forget",
      params: {
        keepLast: 1,
        keepHourly: null,
        keepDaily: null,
        keepWeekly: null,
        keepMonthly: null,
        keepYearly: null,
        keepWithin: null,
        tags: ["group-a"],
        prune: false,
      },
    });
    const finished = await waitFinished(server, "forget-big");
    expect(finished.payload, finished.payload.error ?? "").toMatchObject({
      status: "succeeded",
      summary: { snapshotsKept: 1, snapshotsRemoved: 4000, groups: 1 },
    });
    const lines = texts("forget-big");
    expect(lines.filter((l) => l.startsWith("removed snapshot "))).toHaveLength(4000);
    expect(lines.some((l) => l.startsWith("[{"))).toBe(false);
  }, 60_000);

  it("refuses a forget without any keep rule", async () => {
    initRepo();
    const { server, session } = await boot();
    sendCommand(session, {
      jobId: "forget-none",
      kind: "forget",
      params: {
        keepLast: null,
        keepHourly: null,
        keepDaily: null,
        keepWeekly: null,
        keepMonthly: null,
        keepYearly: null,
        keepWithin: null,
        tags: ["x"],
        prune: true,
      },
    });
    const finished = await waitFinished(server, "forget-none");
    expect(finished.payload).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/at least one keep rule/),
    });
  });
});

describe("prune job", () => {
  it("runs with the admin credential only, which lands in no file and no log", async () => {
    const ADMIN = `admin-${randomBytes(12).toString("hex")}`;
    initRepo();
    // The admin credential opens a different repository: what the job reports proves which one ran.
    const adminRepo = join(tmp.dir, "admin-repo");
    initRepo(adminRepo, ADMIN);
    const data = tree("data");
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(data, `f${i}`), randomBytes(50_000));
      restic(["backup", "-q", data], adminRepo, ADMIN);
    }
    restic(["forget", "--keep-last", "1"], adminRepo, ADMIN);
    const { server, session } = await boot();
    sendCommand(session, {
      jobId: "prune-1",
      kind: "prune",
      params: { maxUnused: "0%" },
      adminRepository: { url: adminRepo, username: null, password: ADMIN },
    });
    const finished = await waitFinished(server, "prune-1");
    expect(finished.payload, finished.payload.error ?? "").toMatchObject({ status: "succeeded", exitCode: 0 });
    const lines = texts("prune-1");
    expect(lines).toContain("$ restic prune --max-unused 0%");
    expect(lines.some((l) => /^removing \d+ old packs$|^deleting obsolete/.test(l))).toBe(true);
    const report = await server.waitFor("snapshots.report");
    expect(report.payload.snapshots).toHaveLength(1);
    // Nowhere on the agent's disk (state dir, spool, secrets, cache) nor in its log or the wire.
    const hits = filesUnder(tmp.dir).filter(
      (f) => statSync(f).size < 64 * 1024 * 1024 && readFileSync(f).includes(ADMIN),
    );
    expect(hits).toEqual([]);
    expect(started!.logs.join("\n")).not.toContain(ADMIN);
    expect(JSON.stringify(server.sessions[0]!.messages)).not.toContain(ADMIN);
    // The regular credential is untouched: a later job uses it again.
    sendCommand(session, { jobId: "unlock-after", kind: "unlock", params: { removeAll: false } });
    expect((await waitFinished(server, "unlock-after")).payload.status).toBe("succeeded");
  }, 60_000);
});

describe("check job", () => {
  it("fails with restic's message on a damaged pack", async () => {
    initRepo();
    restic(["backup", "-q", tree("data")]);
    const { server, session } = await boot();
    sendCommand(session, { jobId: "check-ok", kind: "check", params: { readDataSubset: "100%" } });
    const ok = await waitFinished(server, "check-ok");
    expect(ok.payload, ok.payload.error ?? "").toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(texts("check-ok")).toContain("$ restic check --read-data-subset=100%");

    for (const pack of filesUnder(join(repo, "data"))) {
      const bytes = readFileSync(pack);
      bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
      writeFileSync(pack, bytes);
    }
    sendCommand(session, { jobId: "check-bad", kind: "check", params: { readDataSubset: "100%" } });
    const bad = await waitFinished(server, "check-bad");
    expect(bad.payload.status).toBe("failed");
    expect(bad.payload.exitCode).toBe(1);
    expect(bad.payload.error).toMatch(
      /^repository contains errors: .*(Pack ID does not match|ciphertext verification failed)/,
    );
    expect(jobLines(server, "check-bad")).toEqual(
      expect.arrayContaining([{ stream: "stderr", line: "Fatal: repository contains errors" }]),
    );
  }, 60_000);
});

describe("unlock job", () => {
  it("removes the stale lock of a killed backup; check and backup succeed afterwards", async () => {
    initRepo();
    const big = join(tmp.dir, "big");
    mkdirSync(big);
    writeFileSync(join(big, "blob"), randomBytes(200 * 1024 * 1024));
    const killed = spawn(REAL_RESTIC, ["backup", big], { env: envFor(repo), stdio: "ignore" });
    const locks = join(repo, "locks");
    const deadline = Date.now() + 20_000;
    while (readdirSync(locks).length === 0 && Date.now() < deadline) await settle(20);
    await settle(200);
    killed.kill("SIGKILL");
    await new Promise((r) => killed.once("exit", r));
    expect(readdirSync(locks)).toHaveLength(1);

    const { server, session } = await boot();
    // The stale lock blocks an exclusive command.
    sendCommand(session, { jobId: "check-locked", kind: "check", params: { readDataSubset: null } });
    const locked = await waitFinished(server, "check-locked");
    expect(locked.payload.status).toBe("failed");
    expect(locked.payload.error).toMatch(/locked/);

    sendCommand(session, { jobId: "unlock-1", kind: "unlock", params: { removeAll: false } });
    const unlocked = await waitFinished(server, "unlock-1");
    expect(unlocked.payload, unlocked.payload.error ?? "").toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(texts("unlock-1")).toEqual(expect.arrayContaining(["$ restic unlock", "successfully removed locks"]));
    expect(readdirSync(locks)).toHaveLength(0);

    sendCommand(session, { jobId: "check-after", kind: "check", params: { readDataSubset: null } });
    expect((await waitFinished(server, "check-after")).payload.status).toBe("succeeded");
    sendCommand(session, {
      jobId: "backup-after",
      kind: "backup",
      params: { paths: [tree("small")], excludes: [], tags: [] },
    });
    const backup = await waitFinished(server, "backup-after");
    expect(backup.payload, backup.payload.error ?? "").toMatchObject({ status: "succeeded" });
  }, 90_000);

  it("leaves a live lock alone unless removeAll", async () => {
    initRepo();
    const { server, session } = await boot();
    // A lock held by a running restic (this one waits on a fifo-less `sleep` via the shell).
    const big = join(tmp.dir, "big");
    mkdirSync(big);
    writeFileSync(join(big, "blob"), randomBytes(300 * 1024 * 1024));
    const running = spawn(REAL_RESTIC, ["backup", "--limit-upload", "1", big], { env: envFor(repo), stdio: "ignore" });
    const locks = join(repo, "locks");
    const deadline = Date.now() + 20_000;
    while (readdirSync(locks).length === 0 && Date.now() < deadline) await settle(20);
    try {
      sendCommand(session, { jobId: "unlock-stale", kind: "unlock", params: { removeAll: false } });
      expect((await waitFinished(server, "unlock-stale")).payload.status).toBe("succeeded");
      expect(readdirSync(locks)).toHaveLength(1);
      sendCommand(session, { jobId: "unlock-all", kind: "unlock", params: { removeAll: true } });
      expect((await waitFinished(server, "unlock-all")).payload.status).toBe("succeeded");
      expect(texts("unlock-all")).toContain("$ restic unlock --remove-all");
      expect(readdirSync(locks)).toHaveLength(0);
    } finally {
      running.kill("SIGKILL");
    }
  }, 90_000);
});

describe("bandwidth caps", () => {
  it("restic receives --limit-upload before the subcommand; the recorded command line has no secret", async () => {
    initRepo();
    const data = tree("data");
    const { server, session } = await boot();
    sendCommand(session, {
      jobId: "backup-capped",
      kind: "backup",
      limits: { uploadKbps: 2048, downloadKbps: 4096 },
      params: { paths: [data], excludes: [], tags: ["g1"] },
    });
    const finished = await waitFinished(server, "backup-capped");
    expect(finished.payload, finished.payload.error ?? "").toMatchObject({ status: "succeeded" });
    const lines = texts("backup-capped");
    expect(lines[1]).toBe(`$ restic --limit-upload 2048 --limit-download 4096 backup --json -v --tag=g1 -- ${data}`);
    expect(lines.join("\n")).not.toContain(REPO_PASSWORD);

    sendCommand(session, {
      jobId: "check-capped",
      kind: "check",
      limits: { uploadKbps: null, downloadKbps: 512 },
      params: { readDataSubset: "1/2" },
    });
    expect((await waitFinished(server, "check-capped")).payload.status).toBe("succeeded");
    expect(texts("check-capped")).toContain("$ restic --limit-download 512 check --read-data-subset=1/2");
  }, 60_000);
});

describe("backup hooks", () => {
  const hookParams = (data: string, hooks: { pre: string | null; post: string | null; timeoutSeconds: number }) => ({
    paths: [data],
    excludes: [],
    tags: ["g1"],
    sourceGroupId: "group-1",
    hooks,
  });

  it("pre-hook exit 1 aborts the backup; the post-hook sees RM_JOB_STATUS=failed", async () => {
    initRepo();
    const data = tree("data");
    const out = join(tmp.dir, "post.out");
    const { server, session } = await boot();
    sendCommand(session, {
      jobId: "hook-fail",
      kind: "backup",
      params: hookParams(data, {
        pre: "echo preparing; echo oops >&2; exit 1",
        post: `echo "status=$RM_JOB_STATUS job=$RM_JOB_ID kind=$RM_JOB_KIND group=$RM_SOURCE_GROUP" > '${out}'; echo done`,
        timeoutSeconds: 30,
      }),
    });
    const finished = await waitFinished(server, "hook-fail");
    expect(finished.payload).toMatchObject({
      status: "failed",
      error: "pre-hook exited with code 1, so the backup was not started",
      exitCode: null,
    });
    expect(readFileSync(out, "utf8")).toBe("status=failed job=hook-fail kind=backup group=group-1\n");
    expect(snapshotsOf()).toHaveLength(0);
    const lines = jobLines(server, "hook-fail");
    expect(lines).toEqual(
      expect.arrayContaining([
        { stream: "stdout", line: "hook(pre): preparing" },
        { stream: "stderr", line: "hook(pre): oops" },
        { stream: "stdout", line: "hook(post): done" },
        { stream: "system", line: "pre-hook exited with code 1: the backup was not started" },
      ]),
    );
    expect(lines.some((l) => l.line.startsWith("$ restic"))).toBe(false);
  }, 60_000);

  it("a good pre-hook lets the backup run; the post-hook sees succeeded; hooks get no repository secret", async () => {
    initRepo();
    const data = tree("data");
    const preEnv = join(tmp.dir, "pre.env");
    const postOut = join(tmp.dir, "post.out");
    const { server, session } = await boot();
    sendCommand(session, {
      jobId: "hook-ok",
      kind: "backup",
      params: hookParams(data, {
        pre: `env > '${preEnv}'`,
        post: `echo "$RM_JOB_STATUS" > '${postOut}'; exit 7`,
        timeoutSeconds: 30,
      }),
    });
    const finished = await waitFinished(server, "hook-ok");
    expect(finished.payload, finished.payload.error ?? "").toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(readFileSync(postOut, "utf8")).toBe("succeeded\n");
    const env = readFileSync(preEnv, "utf8");
    expect(env).toContain("RM_JOB_ID=hook-ok");
    expect(env).toContain("RM_TAGS=g1");
    expect(env).not.toMatch(/^RESTIC_/m);
    expect(env).not.toContain(REPO_PASSWORD);
    expect(env).not.toContain(repo);
    expect(texts("hook-ok")).toContain("post-hook exited with code 7; the backup stays succeeded");
    expect(snapshotsOf()).toHaveLength(1);
  }, 60_000);

  it("a hook past its timeout is killed with its whole process group", async () => {
    initRepo();
    const data = tree("data");
    const pidFile = join(tmp.dir, "child.pid");
    const { server, session } = await boot();
    const t0 = Date.now();
    sendCommand(session, {
      jobId: "hook-timeout",
      kind: "backup",
      params: hookParams(data, {
        pre: `sleep 300 & echo $! > '${pidFile}'; trap '' TERM; sleep 300`,
        post: null,
        timeoutSeconds: 1,
      }),
    });
    const finished = await waitFinished(server, "hook-timeout");
    expect(finished.payload).toMatchObject({
      status: "failed",
      error: "pre-hook timed out after 1s and was killed, so the backup was not started",
    });
    expect(Date.now() - t0).toBeLessThan(15_000);
    const child = Number(readFileSync(pidFile, "utf8").trim());
    await settle(200);
    expect(existsSync(`/proc/${child}`) && !readFileSync(`/proc/${child}/stat`, "utf8").includes(") Z ")).toBe(false);
    expect(snapshotsOf()).toHaveLength(0);
    expect(existsSync(join(tmp.dir, "restic-processes.json"))).toBe(false);
  }, 60_000);

  it("a cancel during the pre-hook kills it; the post-hook still runs", async () => {
    initRepo();
    const data = tree("data");
    const postOut = join(tmp.dir, "post.out");
    const { server, session } = await boot();
    sendCommand(session, {
      jobId: "hook-cancel",
      kind: "backup",
      params: hookParams(data, {
        pre: "echo waiting; sleep 300",
        post: `echo "$RM_JOB_STATUS" > '${postOut}'`,
        timeoutSeconds: 600,
      }),
    });
    await server.waitUntil(() => {
      try {
        return texts("hook-cancel").includes("hook(pre): waiting");
      } catch {
        return false;
      }
    }, "the pre-hook to run");
    session.send("command.cancel", { jobId: "hook-cancel" } as never);
    const finished = await waitFinished(server, "hook-cancel");
    expect(finished.payload).toMatchObject({
      status: "cancelled",
      error: "pre-hook was stopped by a cancel, so the backup was not started",
    });
    expect(readFileSync(postOut, "utf8")).toBe("failed\n");
  }, 60_000);

  it("caps the hook's output with a marker", async () => {
    initRepo();
    const data = tree("data");
    const { server, session } = await boot();
    sendCommand(session, {
      jobId: "hook-chatty",
      kind: "backup",
      params: hookParams(data, {
        pre: "i=0; while [ $i -lt 1500 ]; do echo line $i; i=$((i+1)); done",
        post: null,
        timeoutSeconds: 30,
      }),
    });
    const finished = await waitFinished(server, "hook-chatty");
    expect(finished.payload.status).toBe("succeeded");
    const lines = texts("hook-chatty");
    expect(lines.filter((l) => l.startsWith("hook(pre): line "))).toHaveLength(1000);
    expect(lines).toContain("hook(pre): output truncated after 1000 lines / 1048576 bytes");
  }, 60_000);
});
