/**
 * The built console (apps/server/dist/main.js) as a real process on a free loopback port with
 * a temp data dir. Reads its JSON log for the first-run setup URL. Can be killed with SIGKILL
 * and started again on the same port and data dir.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, SERVER_MAIN } from "./paths.js";

export interface ConsoleProcess {
  url: string;
  port: number;
  dataDir: string;
  setupUrl: string | null;
  logs: string[];
  process: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
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

export async function startConsole(
  options: {
    dataDir?: string;
    port?: number;
    env?: Record<string, string>;
    /** Runs the console under `ulimit -n` of this many descriptors. */
    maxOpenFiles?: number;
  } = {},
): Promise<ConsoleProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "rm-console-"));
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const [command, args] = options.maxOpenFiles
    ? ["bash", ["-c", `ulimit -n ${options.maxOpenFiles} && exec "$0" "$@"`, process.execPath, SERVER_MAIN]]
    : [process.execPath, [SERVER_MAIN]];
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, RM_LISTEN: `127.0.0.1:${port}`, RM_DATA_DIR: dataDir, RM_LOG_LEVEL: "info", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  let setupUrl: string | null = null;
  await new Promise<void>((done, fail) => {
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
          if (entry.msg === "restic-manager is listening") setTimeout(done, 20);
        } catch {
          // not JSON
        }
        nl = buffer.indexOf("\n");
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => logs.push(chunk.toString()));
    child.on("exit", (code) => fail(new Error(`console exited early with ${code}:\n${logs.join("\n")}`)));
  });
  return {
    url,
    port,
    dataDir,
    get setupUrl() {
      return setupUrl;
    },
    logs,
    process: child,
    stop: async (signal: NodeJS.Signals = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      await exited;
    },
  };
}
