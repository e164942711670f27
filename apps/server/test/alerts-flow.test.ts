/**
 * Alerts with real parts: the in-process console (alerts ticker at 500 ms), the compiled agent
 * running restic against a repository in a temp dir, and notification sinks on loopback (HTTP
 * webhook + ntfy, an SMTP server). A failing pre-hook makes a backup fail; stopping the agent
 * makes it go offline.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AgentProcess,
  type AlertSinks,
  data,
  enrollRunningAgent,
  startAlertSinks,
  type TestClient,
  verifyWebhookSignature,
  waitFor,
} from "@restic-manager/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootServer, removeDir, signedInAdmin, type TestServer } from "./harness.js";

const REPO_PASSWORD = "alerts-flow-repo-pw";
const SIGNING_SECRET = "alerts-flow-signing-secret";
const SMTP = { username: "alerts", password: "alerts-flow-smtp-pw" };

let root: string;
let server: TestServer;
let admin: TestClient;
let agent: AgentProcess;
let hostId: string;
let groupId: string;
let sinks: AlertSinks;

type Alert = { id: string; rule: string; status: string; resolvedHow: string | null; count: number };
const alerts = async (input: Record<string, unknown> = {}) =>
  (await data<{ items: Alert[] }>(admin.query("alerts.list", { limit: 50, ...input }))).items;
const hostStatus = async () => (await data<{ status: string }>(admin.query("hosts.get", { hostId }))).status;
const hooks = (event: string) => sinks.hits.filter((h) => h.path === "/hook" && JSON.parse(h.body).event === event);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "rm-alerts-flow-"));
  mkdirSync(join(root, "data"));
  writeFileSync(join(root, "data", "a.txt"), "alerts flow\n");
  sinks = await startAlertSinks(SMTP);
  server = await bootServer({ start: { tickers: { alertsMs: 500 }, gateway: { heartbeatIntervalSeconds: 2 } } });
  admin = await signedInAdmin(server);
  ({ agent, hostId } = await enrollRunningAgent({
    consoleUrl: server.url,
    admin,
    dir: join(root, "agent"),
    hostname: "alerts-host",
    repoUrl: join(root, "repo"),
    repoPassword: REPO_PASSWORD,
    waitForInit: true,
  }));
  groupId = (
    await data<{ id: string }>(
      admin.call("sources.create", {
        hostId,
        name: "data",
        includePaths: [join(root, "data")],
        excludePatterns: [],
        preHook: "echo cannot stop the database; exit 1",
      }),
    )
  ).id;
  for (const channel of [
    {
      kind: "webhook",
      name: "hook",
      settings: { url: `${sinks.httpUrl}/hook` },
      secret: { signingSecret: SIGNING_SECRET },
    },
    { kind: "ntfy", name: "phone", settings: { serverUrl: `${sinks.httpUrl}/ntfy`, topic: "backups" } },
    {
      kind: "email",
      name: "mail",
      settings: {
        host: "127.0.0.1",
        port: sinks.smtpPort,
        security: "none",
        username: SMTP.username,
        from: "console@example.test",
        to: ["ops@example.test"],
      },
      secret: { password: SMTP.password },
    },
  ]) {
    await data(admin.call("channels.create", channel));
  }
}, 120_000);

afterAll(async () => {
  await agent?.stop("SIGKILL");
  await server?.close();
  await sinks?.close();
  if (server) removeDir(server.dataDir);
  rmSync(root, { recursive: true, force: true });
});

describe("alerts with the real agent", () => {
  it("a backup failing on its pre-hook is e-mailed, posted to ntfy and a signed webhook within 60 s; the next success resolves it", async () => {
    const started = Date.now();
    const { jobId } = await data<{ jobId: string }>(admin.call("sources.runNow", { groupId }));
    const hook = await waitFor(async () => hooks("opened")[0], Boolean, 60_000, "the webhook");
    await waitFor(async () => sinks.hits.find((h) => h.path === "/ntfy/backups"), Boolean, 60_000, "ntfy");
    const mail = await waitFor(async () => sinks.mails[0], Boolean, 60_000, "the e-mail");
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(verifyWebhookSignature(hook?.headers["x-restic-manager-signature"], hook?.body ?? "", SIGNING_SECRET)).toBe(
      true,
    );
    expect(JSON.parse(hook?.body ?? "{}").alert).toMatchObject({
      rule: "backup_failed",
      hostName: "alerts-host",
      sourceGroupName: "data",
      summary: expect.stringContaining("pre-hook exited with code 1"),
    });
    expect(mail).toMatchObject({ to: ["ops@example.test"], user: SMTP.username });
    const [alert] = await alerts({ status: "unresolved" });
    expect(alert).toMatchObject({ rule: "backup_failed", status: "open" });
    expect((await data<{ jobId: string }>(admin.query("alerts.get", { alertId: alert?.id }))).jobId).toBe(jobId);

    await data(
      admin.call("sources.update", {
        groupId,
        name: "data",
        includePaths: [join(root, "data")],
        excludePatterns: [],
        preHook: null,
      }),
    );
    await data(admin.call("sources.runNow", { groupId }));
    await waitFor(async () => hooks("resolved")[0], Boolean, 60_000, "the resolve webhook");
    await waitFor(
      async () => sinks.mails.find((m) => m.raw.includes("[RESOLVED]")),
      Boolean,
      60_000,
      "the resolve e-mail",
    );
    await waitFor(
      async () => sinks.hits.filter((h) => h.path === "/ntfy/backups").length,
      (n) => n === 2,
      60_000,
      "the resolve ntfy",
    );
    expect(await alerts({ status: "resolved" })).toMatchObject([{ id: alert?.id, resolvedHow: "auto" }]);
  }, 150_000);

  it("an agent stopped past the offline threshold raises an alert, resolved when it is back; a shorter flap raises nothing", async () => {
    await data(admin.call("alertRules.update", { rules: { agent_offline: { threshold: 1 } } }));
    // A flap: gone for a few seconds.
    await agent.stop();
    await waitFor(hostStatus, (s) => s === "offline", 30_000, "the host offline");
    await new Promise((r) => setTimeout(r, 3_000));
    agent.start();
    await waitFor(hostStatus, (s) => s === "online", 30_000, "the host online");
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await alerts({ rule: "agent_offline" })).toEqual([]);

    await agent.stop();
    const stopped = Date.now();
    const [offline] = await waitFor(
      () => alerts({ rule: "agent_offline", status: "open" }),
      (a) => a.length === 1,
      120_000,
      "the offline alert",
    );
    expect(Date.now() - stopped).toBeGreaterThan(50_000);
    await waitFor(async () => hooks("opened").find((h) => JSON.parse(h.body).alert.rule === "agent_offline"), Boolean);
    agent.start();
    await waitFor(
      () => alerts({ rule: "agent_offline", status: "resolved" }),
      (a) => a[0]?.id === offline?.id,
      60_000,
      "the offline alert resolved",
    );
  }, 180_000);
});
