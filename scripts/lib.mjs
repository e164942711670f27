// Shared by start.mjs and test.mjs: run commands, install dependencies when missing.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..");

export function say(message) {
  process.stderr.write(`\x1b[36m[restic-manager]\x1b[0m ${message}\n`);
}

/** Runs a command with inherited stdio; exits the process with its code on failure. */
export function run(cmd, args, options = {}) {
  const res = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", ...options });
  if (res.error) {
    say(`could not run ${cmd}: ${res.error.message}`);
    process.exit(1);
  }
  if (res.status !== 0 && !options.allowFailure) {
    say(`${cmd} ${args.join(" ")} failed with exit code ${res.status}`);
    process.exit(res.status ?? 1);
  }
  return res.status ?? 1;
}

/** `npm ci` when node_modules is missing or older than package-lock.json. */
export function ensureNodeModules() {
  const marker = resolve(ROOT, "node_modules/.package-lock.json");
  const lock = resolve(ROOT, "package-lock.json");
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  say("installing npm dependencies (npm ci)...");
  run("npm", ["ci", "--no-audit", "--no-fund"]);
}

export function build(filters = []) {
  const args = ["turbo", "run", "build", "--output-logs=errors-only"];
  for (const f of filters) args.push(`--filter=${f}`);
  run("npx", args);
}

export { spawn };

export function which(bin) {
  for (const dir of (process.env.PATH ?? "").split(":")) if (dir && existsSync(join(dir, bin))) return true;
  return false;
}

/**
 * Installs missing system packages ({ bin, pkg, why }) with apt-get when running as root;
 * otherwise prints the exact command and exits. `again` names what to run afterwards.
 */
export function ensureSystemPackages(packages, again) {
  const missing = packages.filter((p) => !which(p.bin));
  if (missing.length === 0) return;
  const names = missing.map((p) => p.pkg).join(" ");
  for (const p of missing) say(`${p.bin} is missing: ${p.why}.`);
  if (process.getuid?.() !== 0) {
    say(
      `Install them first, then run ${again} again:\n\n    sudo apt-get update && sudo apt-get install -y ${names}\n`,
    );
    process.exit(1);
  }
  say(`installing ${names} with apt-get...`);
  run("apt-get", ["update", "-qq"]);
  run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing.map((p) => p.pkg)], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}
