/**
 * Boots the real server on a random loopback port with a temp data dir, and captures its
 * log lines so tests can assert on them (and on what must never be in them).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN_PASSWORD, TestClient, tokenFromSetupUrl } from "@restic-manager/testkit";
import { type RunningServer, type StartOptions, startServer } from "../src/app.js";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";

export interface TestServer extends RunningServer {
  dataDir: string;
  logs: string[];
}

export function makeDataDir(): string {
  return mkdtempSync(join(tmpdir(), "rm-test-"));
}

export async function bootServer(
  options: { dataDir?: string; env?: Record<string, string>; start?: StartOptions } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? makeDataDir();
  const config = loadConfig({ RM_LISTEN: "127.0.0.1:0", RM_DATA_DIR: dataDir, RM_LOG_LEVEL: "debug", ...options.env });
  const logs: string[] = [];
  const logger = createLogger(config, { write: (line: string) => void logs.push(line) });
  const server = await startServer(config, logger, options.start);
  return { ...server, dataDir, logs };
}

export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true });

export { ADMIN_PASSWORD, TestClient, type TrpcBody, tokenFromSetupUrl } from "@restic-manager/testkit";

/** Completes first-run setup and returns the signed-in admin client. */
export async function signedInAdmin(server: TestServer): Promise<TestClient> {
  const client = new TestClient(server.listenUrl, { origin: new URL(server.url).origin });
  const res = await client.call("auth.setup", {
    token: tokenFromSetupUrl(server.setupUrl),
    username: "admin",
    password: ADMIN_PASSWORD,
  });
  if (res.status !== 200) throw new Error(`setup failed: ${res.text}`);
  return client;
}

/** Creates an enrolment token through the API, as the Add host page does. */
export async function createEnrollment(admin: TestClient, hostname = "web-01", repoPassword = "repo-secret") {
  const res = await admin.call("enrollment.create", { hostname, repoUrl: "/srv/restic/web-01", repoPassword });
  if (res.status !== 200) throw new Error(`enrollment.create failed: ${res.text}`);
  return res.body.result?.data as { id: string; token: string; commands: { linux: string; windows: string } };
}

export async function enroll(baseUrl: string, token: string, hostname = "web-01.example.test") {
  const res = await fetch(`${baseUrl}/api/agents/enroll`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, hostname, os: "linux", arch: "x64", agentVersion: "0.1.0-test" }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { hostId?: string; agentToken?: string; error?: { code: string; message: string } },
  };
}
