/** Playwright fixtures: each test gets its own console process with an empty data dir. */
import { rmSync } from "node:fs";
import { test as base } from "@playwright/test";
import { type ConsoleProcess, startConsole } from "@restic-manager/testkit";

export { ADMIN_PASSWORD, AGENT_BINARY, REPO_ROOT as ROOT } from "@restic-manager/testkit";

export const test = base.extend<{ rm: ConsoleProcess }>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take a destructured first argument.
  rm: async ({}, use) => {
    const rm = await startConsole();
    await use(rm);
    await rm.stop();
    rmSync(rm.dataDir, { recursive: true, force: true });
  },
});

export const expect = test.expect;
