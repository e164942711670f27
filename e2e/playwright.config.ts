import { defineConfig } from "@playwright/test";

// Debian's Chromium: `npx playwright install` cannot download browsers here (scripts/test.mjs installs it).
export default defineConfig({
  testDir: "./specs",
  outputDir: "../test-results/e2e",
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [["list"], ["json"]],
  use: {
    launchOptions: {
      executablePath: process.env.RM_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
  },
});
