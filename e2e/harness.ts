/**
 * Boots the built console (apps/server/dist/main.js) as a real process on a free loopback
 * port with a temp data dir, and reads its JSON log for the first-run setup URL.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test as base } from "@playwright/test";

export const ROOT = resolve(import.meta.dirname, "..");

export interface ConsoleProcess {
  url: string;
  dataDir: string;
  setupUrl: string | null;
  logs: string[];
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? done(addr.port) : fail(new Error("no port"))));
    });
  });
}

export async function startConsole(options: { dataDir?: string; env?: Record<string, string> } = {}) {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "rm-e2e-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(ROOT, "apps/server/dist/main.js")], {
    cwd: ROOT,
    env: { ...process.env, RM_LISTEN: `127.0.0.1:${port}`, RM_DATA_DIR: dataDir, RM_LOG_LEVEL: "info", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  let setupUrl: string | null = null;
  const ready = new Promise<void>((done, fail) => {
    let buffer = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf("\n");
      while (nl !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        logs.push(line);
        try {
          const entry = JSON.parse(line) as { setupUrl?: string; msg?: string };
          if (entry.setupUrl) setupUrl = entry.setupUrl;
          if (entry.msg === "restic-manager is listening") setTimeout(done, 50);
        } catch {
          // not JSON: ignore
        }
        nl = buffer.indexOf("\n");
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => logs.push(chunk.toString()));
    child.on("exit", (code) => fail(new Error(`console exited early with ${code}:\n${logs.join("\n")}`)));
  });
  await ready;
  const proc: ConsoleProcess = {
    url,
    dataDir,
    get setupUrl() {
      return setupUrl;
    },
    logs,
    process: child,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
  return proc;
}

/** Each test gets its own console with an empty data dir. */
export const test = base.extend<{ rm: ConsoleProcess }>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take a destructured first argument.
  rm: async ({}, use) => {
    const rm = await startConsole();
    await use(rm);
    await rm.stop();
    rmSync(rm.dataDir, { recursive: true, force: true });
  },
});

export const expect = test.expect;
export const ADMIN_PASSWORD = "correct horse battery staple";
