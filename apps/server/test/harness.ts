/**
 * Boots the real server on a random loopback port with a temp data dir, and captures its
 * log lines so tests can assert on them (and on what must never be in them).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningServer, startServer } from "../src/app.js";
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
  options: { dataDir?: string; env?: Record<string, string> } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? makeDataDir();
  const config = loadConfig({ RM_LISTEN: "127.0.0.1:0", RM_DATA_DIR: dataDir, RM_LOG_LEVEL: "debug", ...options.env });
  const logs: string[] = [];
  const logger = createLogger(config, { write: (line: string) => void logs.push(line) });
  const server = await startServer(config, logger);
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
        ? `${this.baseUrl}/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`
        : `${this.baseUrl}/trpc/${path}`;
    const res = await fetch(url, {
      method: kind === "query" ? "GET" : "POST",
      headers,
      body: kind === "mutation" ? JSON.stringify(input ?? null) : undefined,
    });
    const setCookie = res.headers.get("set-cookie");
    if (setCookie) {
      const [pair] = setCookie.split(";");
      this.cookie = pair?.endsWith("=") ? null : (pair ?? null);
    }
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as TrpcBody };
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
