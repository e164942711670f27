import { join } from "node:path";
import type { Page } from "@playwright/test";
import { seedFleet } from "../fleet.js";
import { createAdminInBrowser } from "../flows.js";
import { expect, ROOT, test } from "../harness.js";

const SHOTS = join(ROOT, "e2e/screenshots");
const shoot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
const rowNames = (page: Page) =>
  page.locator("tr[data-host]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-host")));

test("120 hosts: the dashboard shows problems first, the Hosts page pages, searches and filters", async ({
  page,
  rm,
}) => {
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    // The stale-cursor step below is answered 400 on purpose; the browser logs that.
    if (message.type() === "error" && !message.text().includes("status of 400")) consoleErrors.push(message.text());
  });
  await page.setViewportSize({ width: 1440, height: 900 });
  await createAdminInBrowser(page, rm);
  const fleet = await seedFleet(rm.dataDir, 120);
  const active = fleet.filter((h) => h.state !== "revoked");
  const firstFailed = fleet.filter((h) => h.state === "failed").map((h) => h.name);

  // Dashboard: a page of 50, failed last backups on top, revoked hosts left out, a way to the rest.
  await page.reload();
  await expect(page.getByTestId("fleet-range")).toHaveText(
    `Showing 50 of ${active.length} hosts, those that need attention first.`,
  );
  expect(await page.locator("tr[data-host]").count()).toBe(50);
  expect((await rowNames(page)).slice(0, firstFailed.length)).toEqual([...firstFailed].sort());
  await shoot(page, "dashboard-many-hosts");
  await page.getByRole("link", { name: "View all hosts" }).click();
  await expect(page).toHaveURL(/\/hosts\?sort=attention$/);
  await expect(page.getByLabel("Order", { exact: true })).toHaveValue("attention");
  await expect(page.getByTestId("hosts-range")).toHaveText("Showing 1–50 of 120 hosts");

  // By name: three pages, every host once, and back.
  await page.goto(`${rm.url}/hosts`);
  const range = page.getByTestId("hosts-range");
  await expect(range).toHaveText("Showing 1–50 of 120 hosts");
  const seen = await rowNames(page);
  await shoot(page, "hosts-many");
  await page.getByRole("link", { name: "Next" }).click();
  await expect(range).toHaveText("Showing 51–100 of 120 hosts");
  seen.push(...(await rowNames(page)));
  await page.getByRole("link", { name: "Next" }).click();
  await expect(range).toHaveText("Showing 101–120 of 120 hosts");
  seen.push(...(await rowNames(page)));
  await expect(page.getByRole("button", { name: "Next" })).toBeDisabled();
  expect(seen).toEqual(fleet.map((h) => h.name).sort());
  await page.getByRole("link", { name: "Previous" }).click();
  await expect(range).toHaveText("Showing 51–100 of 120 hosts");
  await page.getByRole("link", { name: "Previous" }).click();
  await expect(range).toHaveText("Showing 1–50 of 120 hosts");
  await expect(page.getByRole("button", { name: "Previous" })).toBeDisabled();

  // Search (debounced into the address), then a status filter on top of it.
  await page.getByLabel("Search", { exact: true }).fill("DB-0");
  await expect(page).toHaveURL(/[?&]q=DB-0/);
  const dbHosts = fleet.filter((h) => h.name.startsWith("db-0"));
  await expect(range).toHaveText(`Showing 1–${dbHosts.length} of ${dbHosts.length} hosts`);
  expect(await rowNames(page)).toEqual(dbHosts.map((h) => h.name).sort());
  await page.getByLabel("Status", { exact: true }).selectOption("revoked");
  const revokedDb = dbHosts.filter((h) => h.state === "revoked").map((h) => h.name);
  await expect(range).toHaveText(
    `Showing 1–${revokedDb.length} of ${revokedDb.length} ${revokedDb.length === 1 ? "host" : "hosts"}`,
  );
  expect(await rowNames(page)).toEqual(revokedDb.sort());
  await page.getByLabel("Search", { exact: true }).fill("no-such-host");
  await expect(page.getByText("No hosts match")).toBeVisible();
  await page.getByRole("link", { name: "Clear filters" }).first().click();
  await expect(range).toHaveText("Showing 1–50 of 120 hosts");
  await expect(page.getByLabel("Search", { exact: true })).toHaveValue("");

  // A stale page address says so and offers the first page.
  await page.goto(`${rm.url}/hosts?cursor=%22stale%22`);
  await expect(page.getByText("This page of the list is out of date")).toBeVisible();
  await page.getByRole("link", { name: "Go to the first page" }).click();
  await expect(range).toHaveText("Showing 1–50 of 120 hosts");

  // Jobs: the host filter searches on the server instead of listing every host.
  const target = fleet.find((h) => h.name === "lab-101");
  await page.goto(`${rm.url}/jobs`);
  await page.getByRole("button", { name: /^Host/ }).click();
  await page.getByRole("combobox", { name: "Search hosts" }).fill("lab-10");
  const options = page.getByRole("listbox", { name: "Hosts" }).getByRole("option");
  await expect(options).toHaveCount(fleet.filter((h) => h.name.includes("lab-10")).length);
  await shoot(page, "jobs-host-picker");
  await options.filter({ hasText: "lab-101" }).click();
  await expect(page).toHaveURL(new RegExp(`hostId=${target?.id}`));
  await expect(page.getByRole("button", { name: "Host lab-101" })).toBeVisible();
  await expect(page.getByText("No jobs match these filters")).toBeVisible();

  expect(consoleErrors).toEqual([]);
});
