#!/usr/bin/env node
// `npm run bench [-- B3 B6 ...]`: installs what is missing (restic via apt-get as root, npm
// dependencies), builds the console, the SPA and the agent like `npm start`, then runs the
// benchmarks in bench/main.ts (TypeScript through tsx). See bench/README.md.
import { spawnSync } from "node:child_process";
import { build, ensureNodeModules, ensureSystemPackages, ROOT } from "../scripts/lib.mjs";

ensureSystemPackages(
  [{ bin: "restic", pkg: "restic", why: "B8 compares the agent's backup with plain restic" }],
  "npm run bench",
);
ensureNodeModules();
build(["@restic-manager/server", "@restic-manager/web", "@restic-manager/agent"]);

const res = spawnSync(process.execPath, ["--import", "tsx", "bench/main.ts", ...process.argv.slice(2)], {
  cwd: ROOT,
  stdio: "inherit",
});
process.exit(res.status ?? 1);
