#!/usr/bin/env node
// `npm test`: the whole suite. Installs what the tests need (restic and Chromium from Debian
// when running as root; otherwise prints the exact command), builds, then runs Vitest
// (unit + integration) and Playwright (end to end in headless Chromium).
//   --e2e-only    skip Vitest
//   --unit-only   skip Playwright
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build, ensureNodeModules, ensureSystemPackages, ROOT, run } from "./lib.mjs";

const args = new Set(process.argv.slice(2));
const SYSTEM_PACKAGES = [
  { bin: "restic", pkg: "restic", why: "integration tests run real restic against real repositories" },
  { bin: "chromium", pkg: "chromium", why: "end-to-end tests drive headless Chromium" },
  { bin: "shellcheck", pkg: "shellcheck", why: "install.sh must pass shellcheck" },
  { bin: "systemd-analyze", pkg: "systemd", why: "the agent's systemd unit is checked with systemd-analyze verify" },
  { bin: "curl", pkg: "curl", why: "install.sh is run against a test server" },
  { bin: "openssl", pkg: "openssl", why: "the TLS pin tests make certificates" },
];

ensureSystemPackages(SYSTEM_PACKAGES, "npm test");
ensureNodeModules();
build();

const outDir = join(ROOT, "test-results");
mkdirSync(outDir, { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };
let failed = false;

if (!args.has("--e2e-only")) {
  const report = join(outDir, "vitest.json");
  rmSync(report, { force: true });
  const code = run("npx", ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`], {
    allowFailure: true,
  });
  failed ||= code !== 0;
  if (existsSync(report)) {
    const r = JSON.parse(readFileSync(report, "utf8"));
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests;
    totals.skipped += r.numPendingTests + r.numTodoTests;
  } else failed = true;
}

if (!args.has("--unit-only")) {
  const report = join(outDir, "playwright.json");
  rmSync(report, { force: true });
  const code = run("npx", ["playwright", "test", "--config", "e2e/playwright.config.ts"], {
    allowFailure: true,
    env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: report },
  });
  failed ||= code !== 0;
  if (existsSync(report)) {
    const s = JSON.parse(readFileSync(report, "utf8")).stats;
    totals.passed += s.expected + s.flaky;
    totals.failed += s.unexpected;
    totals.skipped += s.skipped;
  } else failed = true;
}

// One plain closing line that any CI can read.
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(failed || totals.failed > 0 ? 1 : 0);
