/** Steps several specs share, done the way an operator does them in the browser. */
import type { Page } from "@playwright/test";
import { type AgentProcess, type ConsoleProcess, TestClient, waitFor } from "@restic-manager/testkit";
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

/** A second, API-side session, to watch for what the page does not show (the init job, say). */
export async function signInApi(url: string): Promise<TestClient> {
  const client = new TestClient(url);
  await client.call("auth.signIn", { username: "admin", password: ADMIN_PASSWORD });
  return client;
}

/**
 * Add host in the browser, enrol and start a real agent with the token it shows, open the host
 * and wait for the console's repository init to succeed. Returns the host's id.
 */
export async function enrollHostWithAgent(
  page: Page,
  rm: ConsoleProcess,
  agent: AgentProcess,
  host: { name: string; repo: string; password: string },
): Promise<string> {
  const token = await addHostInBrowser(page, rm, host);
  const enrolled = await agent.enroll(rm.url, token);
  expect(enrolled.status, enrolled.stderr).toBe(0);
  agent.start();
  await expect(page.getByText("Connected", { exact: true })).toBeVisible({ timeout: 30_000 });
  await page.getByRole("link", { name: "Open host" }).click();
  await expect(page).toHaveURL(/\/hosts\/[0-9A-Z]{26}$/);
  const hostId = page.url().split("/").at(-1) ?? "";
  const api = await signInApi(rm.url);
  await waitFor(
    async () => (await api.query("hosts.initStatus", { hostId })).body.result?.data as { status: string } | null,
    (job) => job?.status === "succeeded",
    60_000,
    "the repository init",
  );
  return hostId;
}
