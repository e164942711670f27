/** Steps several specs share, done the way an operator does them in the browser. */
import type { Page } from "@playwright/test";
import type { ConsoleProcess } from "@restic-manager/testkit";
import { ADMIN_PASSWORD, expect } from "./harness.js";

/** Opens the first-run link from the log and creates the admin; ends signed in on the dashboard. */
export async function createAdminInBrowser(page: Page, rm: ConsoleProcess): Promise<void> {
  await page.goto(rm.setupUrl ?? "");
  await page.getByLabel("Password", { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByLabel("Confirm password", { exact: true }).fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Create admin account" }).click();
  await expect(page).toHaveURL(`${rm.url}/`);
}

/** Hosts -> Add host -> token; returns the enrolment token read from the Linux install command. */
export async function addHostInBrowser(
  page: Page,
  rm: ConsoleProcess,
  host: { name: string; repo: string; password: string },
): Promise<string> {
  await page.getByRole("link", { name: "Hosts", exact: true }).first().click();
  await page.getByRole("link", { name: "Add host" }).first().click();
  await expect(page).toHaveURL(/\/hosts\/new/);
  await page.getByLabel("Host name", { exact: true }).fill(host.name);
  await page.getByLabel("Repository", { exact: true }).fill(host.repo);
  await page.getByLabel("Repository password", { exact: true }).fill(host.password);
  await page.getByRole("button", { name: "Create enrolment token" }).click();
  const command = await page.getByLabel("Linux install command", { exact: true }).inputValue();
  expect(command).toContain(`${rm.url}/install/install.sh`);
  const token = /RM_TOKEN='([^']+)'/.exec(command)?.[1] ?? "";
  expect(token).toMatch(/^rme_/);
  await expect(page.getByText(/Waiting for the agent/)).toBeVisible();
  return token;
}
