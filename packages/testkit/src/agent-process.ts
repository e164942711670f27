/** The compiled agent as a real process, with its config in a temp dir. */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
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

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill(signal);
    await exited;
  }
}
