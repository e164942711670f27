import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentProcess } from "@restic-manager/testkit";
import { addHostInBrowser, createAdminInBrowser } from "../flows.js";
import { expect, ROOT, test } from "../harness.js";

test("Add host -> install command -> the real agent enrols -> the host is online", async ({ page, rm }) => {
  const root = mkdtempSync(join(tmpdir(), "rm-e2e-agent-"));
  const agent = new AgentProcess(join(root, "agent"));
  mkdirSync(agent.dir);
  try {
    await createAdminInBrowser(page, rm);
    const token = await addHostInBrowser(page, rm, {
      name: "web-01",
      repo: join(root, "repo"),
      password: "e2e repository password",
    });

    // What install.sh does on a host, minus systemd: enrol, then run the agent.
    const enrolled = await agent.enroll(rm.url, token);
    expect(enrolled.status, enrolled.stderr).toBe(0);
    agent.start();

    await expect(page.getByText("Connected", { exact: true })).toBeVisible({ timeout: 30_000 });
    await page.getByRole("link", { name: "Open host" }).click();
    await expect(page).toHaveURL(/\/hosts\/[0-9A-Z]{26}$/);
    await expect(page.getByText("web-01").first()).toBeVisible();
    await expect(page.getByText(/online/i).first()).toBeVisible();
    await page.screenshot({ path: join(ROOT, "test-results/e2e/host-online.png"), fullPage: true });
  } finally {
    await agent.stop("SIGKILL");
    rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 });
  }
});
