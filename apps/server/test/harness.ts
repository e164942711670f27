/**
 * Boots the real server on a random loopback port with a temp data dir, and captures its
 * log lines so tests can assert on them (and on what must never be in them).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

/** A minimal browser-like client: keeps the session cookie, sends the CSRF header and Origin. */
export class TestClient {
  cookie: string | null = null;

  constructor(
    readonly baseUrl: string,
    readonly options: { origin?: string | null; csrfHeader?: boolean; bearer?: string } = {},
  ) {}

  async call(path: string, input?: unknown, kind: "query" | "mutation" = "mutation") {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.options.csrfHeader !== false) headers["x-rm-csrf"] = "1";
    const origin = this.options.origin === undefined ? new URL(this.baseUrl).origin : this.options.origin;
    if (origin) headers.origin = origin;
    if (this.cookie) headers.cookie = this.cookie;
    if (this.options.bearer) headers.authorization = `Bearer ${this.options.bearer}`;
    const url =
      kind === "query"
        ? `${this.baseUrl}/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`}`
        : `${this.baseUrl}/trpc/${path}`;
    const res = await fetch(url, {
      method: kind === "query" ? "GET" : "POST",
      headers,
      // The API uses superjson; plain JSON values need only the { json } envelope.
      body: kind === "mutation" ? JSON.stringify({ json: input ?? null }) : undefined,
    });
    const setCookie = res.headers.get("set-cookie");
    if (setCookie) {
      const [pair] = setCookie.split(";");
      this.cookie = pair?.endsWith("=") ? null : (pair ?? null);
    }
    const text = await res.text();
    const body = JSON.parse(text) as TrpcBody;
    if (body.result) body.result.data = (body.result.data as { json: unknown }).json;
    if (body.error) body.error = (body.error as unknown as { json: TrpcBody["error"] }).json;
    return { status: res.status, headers: res.headers, text, body };
  }

  query(path: string, input?: unknown) {
    return this.call(path, input, "query");
  }
}

export interface TrpcBody {
  result?: { data: unknown };
  error?: { message: string; data?: { code: string; httpStatus: number } };
}

export const tokenFromSetupUrl = (url: string | null) => new URL(url ?? "http://x/").searchParams.get("token") ?? "";

export const ADMIN_PASSWORD = "correct horse battery staple";

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
