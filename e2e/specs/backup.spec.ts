import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentProcess } from "@restic-manager/testkit";
import { createAdminInBrowser, enrollHostWithAgent } from "../flows.js";
import { expect, ROOT, test } from "../harness.js";

test("Run now from the UI: live log and moving progress, then the snapshot on the host and the dashboard", async ({
  page,
  rm,
}) => {
  const root = mkdtempSync(join(tmpdir(), "rm-e2e-backup-"));
  const data = join(root, "data");
  mkdirSync(data);
  // Enough files and bytes for several progress updates.
  for (let i = 0; i < 1000; i++) writeFileSync(join(data, `file-${i}.bin`), randomBytes(384 * 1024));
  const agent = new AgentProcess(join(root, "agent"));
  mkdirSync(agent.dir);
  try {
    // The operator's whole path: first-run setup, Add host, the agent started with the shown token.
    await createAdminInBrowser(page, rm);
    const hostId = await enrollHostWithAgent(page, rm, agent, {
      name: "backup-host",
      repo: join(root, "repo"),
      password: "e2e repo password",
    });

    // Set the paths on the default group.
    await page.goto(`${rm.url}/hosts/${hostId}?tab=sources`);
    await page.getByRole("link", { name: "Edit default", exact: true }).click();
    const form = page.getByRole("form", { name: "Edit default" });
    await form.getByLabel("Paths", { exact: true }).fill(data);
    await form.getByRole("button", { name: /Save/ }).click();
    await expect(form).toBeHidden();
    await expect(page.getByText(data).first()).toBeVisible();

    // Run now lands on the live job page.
    await page.getByRole("button", { name: "Run backup of default" }).click();
    await expect(page).toHaveURL(/\/jobs\/[0-9A-Z]{26}$/);
    const bar = page.getByRole("progressbar");
    await expect(bar).toBeVisible({ timeout: 30_000 });
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          const v = await bar.getAttribute("aria-valuenow").catch(() => null);
          if (v) seen.add(v);
          return (await page.getByTestId("job-status").textContent())?.toLowerCase() ?? "";
        },
        { timeout: 120_000, intervals: [100] },
      )
      .toContain("succeeded");
    expect(seen.size, `progress values seen: ${[...seen].join(", ")}`).toBeGreaterThan(1);
    await expect(page.getByTestId("job-log")).toContainText(/snapshot|file-/i);
    await page.screenshot({ path: join(ROOT, "test-results/e2e/job-succeeded.png"), fullPage: true });

    // The snapshot appears on the host's Snapshots tab and on the dashboard row.
    await page.goto(`${rm.url}/hosts/${hostId}?tab=snapshots`);
    await expect(page.getByRole("cell", { name: data }).first()).toBeVisible({ timeout: 30_000 });
    await page.goto(`${rm.url}/`);
    const row = page.locator("tr", { hasText: "backup-host" });
    await expect(row).toContainText(/succeeded/i);
    await expect(row).toContainText("1");
    await page.screenshot({ path: join(ROOT, "test-results/e2e/dashboard.png"), fullPage: true });
  } finally {
    await agent.stop("SIGKILL");
    rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 });
  }
});
