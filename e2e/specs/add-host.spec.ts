import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN_PASSWORD, AGENT_BINARY as AGENT, expect, ROOT, test } from "../harness.js";

function runAgent(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(AGENT, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
}

test("Add host -> install command -> the real agent enrols -> the host is online", async ({ page, rm }) => {
  test.skip(!existsSync(AGENT), `reason: the agent binary is built by npm test (missing: ${AGENT})`);
  const agentDir = mkdtempSync(join(tmpdir(), "rm-e2e-agent-"));
  const children: ChildProcess[] = [];
  try {
    await page.goto(rm.setupUrl ?? "");
    await page.getByLabel("Password", { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByLabel("Confirm password", { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole("button", { name: "Create admin account" }).click();
    await expect(page).toHaveURL(`${rm.url}/`);

    await page.getByRole("link", { name: "Hosts", exact: true }).first().click();
    await page.getByRole("link", { name: "Add host" }).first().click();
    await expect(page).toHaveURL(/\/hosts\/new/);
    await page.getByLabel("Host name", { exact: true }).fill("web-01");
    await page.getByLabel("Repository", { exact: true }).fill(join(agentDir, "repo"));
    await page.getByLabel("Repository password", { exact: true }).fill("e2e repository password");
    await page.getByRole("button", { name: "Create enrolment token" }).click();

    const linux = page.getByLabel("Linux install command", { exact: true });
    await expect(linux).toBeVisible();
    const command = (await linux.inputValue().catch(() => null)) ?? (await linux.textContent()) ?? "";
    expect(command).toContain(`${rm.url}/install/install.sh`);
    const token = /RM_TOKEN='([^']+)'/.exec(command)?.[1] ?? "";
    expect(token).toMatch(/^rme_/);
    await expect(page.getByText(/Waiting for the agent/)).toBeVisible();

    // What install.sh does on a host, minus systemd: enrol, then run the agent.
    const env = { RM_AGENT_CONFIG: join(agentDir, "agent.yaml") };
    const enrol = runAgent(["enroll", "--server", rm.url], { ...env, RM_TOKEN: token });
    const code = await new Promise((r) => enrol.on("exit", r));
    expect(code).toBe(0);
    children.push(runAgent(["run"], env));

    await expect(page.getByText("Connected", { exact: true })).toBeVisible({ timeout: 30_000 });
    await page.getByRole("link", { name: "Open host" }).click();
    await expect(page).toHaveURL(/\/hosts\/[0-9A-Z]{26}$/);
    await expect(page.getByText("web-01").first()).toBeVisible();
    await expect(page.getByText(/online/i).first()).toBeVisible();
    await page.screenshot({ path: join(ROOT, "test-results/e2e/host-online.png"), fullPage: true });
  } finally {
    for (const c of children) c.kill("SIGTERM");
    rmSync(agentDir, { recursive: true, force: true });
  }
});
