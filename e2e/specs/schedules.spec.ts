import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "@playwright/test";
import { AgentProcess } from "@restic-manager/testkit";
import { createAdminInBrowser, enrollHostWithAgent } from "../flows.js";
import { expect, ROOT, test } from "../harness.js";

const SHOTS = join(ROOT, "e2e/screenshots");
const shoot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

test("a schedule made in the UI is armed by the agent, fires, and its snapshot shows up", async ({ page, rm }) => {
  const root = mkdtempSync(join(tmpdir(), "rm-e2e-schedules-"));
  const data = join(root, "data");
  const docs = join(data, "docs");
  mkdirSync(docs, { recursive: true });
  writeFileSync(join(data, "top.txt"), "top level\n");
  for (let i = 0; i < 5; i++) writeFileSync(join(docs, `doc-${i}.txt`), `document ${i}\n`);
  const agent = new AgentProcess(join(root, "agent"));
  mkdirSync(agent.dir);
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  try {
    await createAdminInBrowser(page, rm);
    const hostId = await enrollHostWithAgent(page, rm, agent, {
      name: "sched-host",
      repo: join(root, "repo"),
      password: "e2e repo password",
    });

    // The default group backs up the whole data directory (keeping everything).
    await page.goto(`${rm.url}/hosts/${hostId}?tab=sources`);
    await page.getByRole("link", { name: "Edit default", exact: true }).click();
    const defaultForm = page.getByRole("form", { name: "Edit default" });
    await defaultForm.getByLabel("Paths", { exact: true }).fill(data);
    await defaultForm.getByRole("button", { name: "Save changes" }).click();
    await expect(defaultForm).toBeHidden();

    // A second group inside it with its own retention: the form warns about the overlap.
    await page.getByRole("link", { name: "Add source group" }).first().click();
    const form = page.getByRole("form", { name: "New source group" });
    await form.getByLabel("Name", { exact: true }).fill("docs");
    await form.getByLabel("Paths", { exact: true }).fill(docs);
    await form.getByLabel("Keep last", { exact: true }).fill("3");
    await expect(form.getByTestId("retention-conflict")).toContainText("default");
    await shoot(page, "source-form-conflict");
    // Validation keeps what was typed.
    await form.getByLabel("Retries", { exact: true }).fill("many");
    await form.getByRole("button", { name: "Create group" }).click();
    await expect(form.getByText("A whole number of retries")).toBeVisible();
    await expect(form.getByLabel("Paths", { exact: true })).toHaveValue(docs);
    await form.getByLabel("Retries", { exact: true }).fill("2");
    await form.getByRole("button", { name: "Create group" }).click();
    await expect(form).toBeHidden();
    const docsRow = page.locator("[data-source-group=docs]");
    await expect(docsRow).toContainText("Retention: keep last 3");
    await expect(docsRow).toContainText("Retries 2× from 5 min");
    await shoot(page, "sources");
    await docsRow.getByRole("button", { name: "Run docs with options" }).click();
    await expect(page.getByLabel("Upload KB/s", { exact: true })).toBeVisible();
    await shoot(page, "sources-run-options");
    await page.keyboard.press("Escape");

    // A schedule every 10 s for docs, with the live preview.
    await page.goto(`${rm.url}/hosts/${hostId}?tab=schedules`);
    await page.getByRole("link", { name: "Add schedule" }).first().click();
    const scheduleForm = page.getByRole("form", { name: "New schedule" });
    await expect(scheduleForm.getByRole("button", { name: "Daily 02:00" })).toBeVisible();
    await scheduleForm.getByLabel("Cron expression", { exact: true }).fill("*/10 * * * * *");
    await expect(scheduleForm.getByTestId("cron-preview")).toContainText(/every 10 seconds/i);
    await expect(scheduleForm.getByTestId("cron-preview")).toContainText("Next:");
    await scheduleForm.getByText("docs", { exact: true }).click();
    await expect(scheduleForm.getByRole("checkbox", { name: /docs/ })).toBeChecked();
    await shoot(page, "schedule-form-preview");
    await scheduleForm.getByRole("button", { name: "Create schedule" }).click();
    await expect(scheduleForm).toBeHidden();

    // The list shows it with its next run; the header says the agent armed it.
    const row = page.locator("tr", { hasText: "*/10 * * * * *" });
    await expect(row).toContainText("Enabled");
    await expect(row).toContainText("docs");
    await expect(row.getByTestId("next-run")).not.toHaveText("—");
    await expect(page.getByTestId("schedule-sync")).toContainText("agent in sync", { timeout: 20_000 });
    await shoot(page, "schedules");

    // It fires: the last run links to a succeeded backup.
    await expect(row.getByTestId("last-run").locator("[data-status=succeeded]")).toBeVisible({ timeout: 90_000 });
    await shoot(page, "schedules-after-fire");

    // The snapshot, tagged with the group, on the Snapshots tab and the Repo tab.
    await page.goto(`${rm.url}/hosts/${hostId}?tab=snapshots`);
    await expect(page.getByRole("cell", { name: docs }).first()).toBeVisible({ timeout: 30_000 });
    await page.goto(`${rm.url}/hosts/${hostId}?tab=repo`);
    await expect(page.getByTestId("snapshots-by-tag").locator("[data-tag=docs]")).toBeVisible({ timeout: 30_000 });
    await expect(
      page.getByRole("form", { name: "Repository connection" }).getByLabel("Repository", { exact: true }),
    ).toHaveValue(join(root, "repo"));
    await shoot(page, "repo");
    await page.goto(`${rm.url}/hosts/${hostId}?tab=settings`);
    await expect(page.getByTestId("danger-zone")).toContainText("Delete host");
    await shoot(page, "settings");

    // Editing the schedule: the whole row opens the form; with every group it covers the host,
    // and the dashboard row offers "Run all groups".
    await page.goto(`${rm.url}/hosts/${hostId}?tab=schedules`);
    await page.getByRole("link", { name: "Edit schedule */10 * * * * *" }).click();
    const editForm = page.getByRole("form", { name: "Edit schedule" });
    await expect(editForm.getByLabel("Cron expression", { exact: true })).toHaveValue("*/10 * * * * *");
    await editForm.getByText("default", { exact: true }).click();
    await editForm.getByRole("button", { name: "Save changes" }).click();
    await expect(editForm).toBeHidden();
    await expect(page.locator("tr", { hasText: "*/10 * * * * *" })).toContainText("default");
    await expect(page.getByTestId("schedule-sync")).toContainText("version 3 · agent in sync", { timeout: 20_000 });
    await page.goto(`${rm.url}/`);
    await expect(page.getByRole("button", { name: "Run all groups of sched-host" })).toBeVisible();
    await shoot(page, "dashboard");
    expect(consoleErrors).toEqual([]);
  } finally {
    await agent.stop("SIGKILL");
    // A restic the schedule started may still be finishing in the agent's cache for a moment.
    rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 300 });
  }
});
