/**
 * `@restic-manager/client` as a script outside this repository gets it: built, packed with
 * npm, installed from the tarball into a temp project (its dependencies from the npm registry
 * or cache), a script type-checked against it with tsc and run with an API token against a
 * real console with a real agent and restic: list hosts, start a backup, follow it to its end.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AgentProcess,
  type ConsoleProcess,
  data,
  enrollRunningAgent,
  REPO_ROOT,
  setupAdmin,
  startConsole,
} from "@restic-manager/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CLIENT_DIR = join(REPO_ROOT, "packages/client");
const TSC = join(REPO_ROOT, "node_modules/typescript/bin/tsc");
let root: string;
let project: string;
let rm: ConsoleProcess;
let agent: AgentProcess;
let token: string;

const run = (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) =>
  execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8", stdio: "pipe" });

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "rm-client-"));
  project = join(root, "script");
  mkdirSync(project);

  // The console and agent start while the package builds and installs.
  const consoleReady = (async () => {
    const source = join(root, "data");
    mkdirSync(source);
    for (let i = 0; i < 20; i++) writeFileSync(join(source, `file-${i}.txt`), `file ${i}\n`.repeat(50));
    rm = await startConsole();
    const admin = await setupAdmin(rm.url, rm.setupUrl);
    let hostId: string;
    ({ agent, hostId } = await enrollRunningAgent({
      consoleUrl: rm.url,
      admin,
      dir: join(root, "agent"),
      hostname: "client-host",
      repoUrl: join(root, "repo"),
      repoPassword: "client-package-repo-pw",
      waitForInit: true,
    }));
    const groups = await data<{ items: { id: string }[] }>(admin.query("sources.list", { hostId }));
    const groupId = groups.items[0]?.id ?? "";
    await data(admin.call("sources.update", { groupId, name: "default", includePaths: [source], excludePatterns: [] }));
    ({ token } = await data<{ token: string }>(admin.call("apiTokens.create", { name: "client-package test" })));
  })();

  run(process.execPath, ["scripts/build.mjs"], CLIENT_DIR);
  run("npm", ["pack", "--silent", "--pack-destination", root], CLIENT_DIR);
  const tarball = readdirSync(root).find((f) => f.endsWith(".tgz")) ?? "";
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "rm-script", private: true, type: "module" }));
  cpSync(join(import.meta.dirname, "fixtures/client-script"), project, { recursive: true });
  run(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", join(root, tarball), `@types/node@^20`],
    project,
  );
  await consoleReady;
}, 240_000);

afterAll(async () => {
  await agent?.stop("SIGKILL");
  await rm?.stop("SIGKILL");
  rmSync(root, { recursive: true, force: true });
});

describe("@restic-manager/client from its npm tarball", () => {
  it("installs with public packages only, and ships the API's types without server source", () => {
    const installed = readdirSync(join(project, "node_modules/@restic-manager"));
    expect(installed).toEqual(["client"]);
    expect(readdirSync(join(project, "node_modules/@restic-manager/client/dist")).sort()).toEqual([
      "index.d.ts",
      "index.js",
    ]);
  });

  it("type-checks a script against it, and refuses a wrong one", () => {
    run(process.execPath, [TSC, "-p", "tsconfig.json"], project);
    writeFileSync(
      join(project, "wrong.ts"),
      'import { createClient } from "@restic-manager/client";\nawait createClient("u", "t").jobs.list.query({ before: "x" });\n',
    );
    let output = "";
    try {
      run(
        process.execPath,
        [
          TSC,
          "--noEmit",
          "--strict",
          "--skipLibCheck",
          "--module",
          "NodeNext",
          "--moduleResolution",
          "NodeNext",
          "--target",
          "ES2022",
          "--types",
          "node",
          "wrong.ts",
        ],
        project,
      );
    } catch (e) {
      output = String((e as { stdout?: string }).stdout);
    }
    expect(output).toMatch(/'before' does not exist/);
  }, 60_000);

  it("runs it with an API token: lists hosts, backs up, follows the job to its end", () => {
    const out = run(process.execPath, ["dist/script.js"], project, {
      RM_URL: rm.url,
      RM_TOKEN: token,
      RM_HOST: "client-host",
    });
    const result = JSON.parse(out.trim().split("\n").at(-1) ?? "{}");
    expect(result).toMatchObject({ hosts: 1, status: "succeeded", error: null, createdAtIsDate: true, snapshots: 1 });
    expect(result.lines).toBeGreaterThan(0);
  }, 60_000);
});
