/** The compiled agent as a real process, with its config in a temp dir. */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AGENT_BINARY } from "./paths.js";

export interface AgentRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export class AgentProcess {
  readonly dir: string;
  readonly output: string[] = [];
  child: ChildProcess | null = null;

  constructor(dir?: string) {
    this.dir = dir ?? mkdtempSync(join(tmpdir(), "rm-agent-"));
  }

  get configPath() {
    return join(this.dir, "agent.yaml");
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { ...process.env, RM_AGENT_CONFIG: this.configPath, RM_AGENT_LOG_FORMAT: "json", ...extra };
  }

  /** Runs a one-shot command (enroll, status, version). Async: a server in this process keeps serving. */
  exec(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<AgentRun> {
    return new Promise((done) => {
      const child = spawn(AGENT_BINARY, args, { env: this.env(env), stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr?.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      child.on("exit", (status) => {
        clearTimeout(timer);
        done({ status, stdout, stderr });
      });
    });
  }

  enroll(serverUrl: string, token: string): Promise<AgentRun> {
    return this.exec(["enroll", "--server", serverUrl], { RM_TOKEN: token });
  }

  /** Starts `run` in the background. */
  start(env: Record<string, string> = {}): ChildProcess {
    const child = spawn(AGENT_BINARY, ["run"], { env: this.env(env), stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (d: Buffer) => this.output.push(d.toString()));
    child.stderr?.on("data", (d: Buffer) => this.output.push(d.toString()));
    this.child = child;
    return child;
  }

  /**
   * Stops the agent. SIGKILL takes its restic and hook processes down first: they run in their own
   * process groups, so a killed agent would otherwise leave them writing into a repository the
   * test is about to delete.
   */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    if (signal === "SIGKILL" && child.pid) {
      for (const pid of descendantsOf(child.pid)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    child.kill(signal);
    await exited;
  }
}

/** Every live descendant of `root`, read from /proc (Linux, where the tests run). */
function descendantsOf(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid ...; comm may contain spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // exited while we were reading
    }
  }
  const found: number[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop() as number;
    for (const [pid, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(pid);
        frontier.push(pid);
      }
    }
  }
  return found;
}
