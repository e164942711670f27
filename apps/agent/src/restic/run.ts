/**
 * Spawning restic: an argument array (never a shell), credentials only in the environment, each
 * run in its own process group so a cancel (or the next agent after a crash) can stop restic and
 * anything it started (ssh for sftp repositories) together.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { StringDecoder } from "node:string_decoder";
import type { RepositoryConfig } from "@restic-manager/protocol";
import { signalProcessGroup } from "./processes.js";

/** Inherited variables that would override or contradict what the agent passes. */
const CONFLICTING_ENV = [
  "RESTIC_REPOSITORY",
  "RESTIC_REPOSITORY_FILE",
  "RESTIC_PASSWORD",
  "RESTIC_PASSWORD_FILE",
  "RESTIC_PASSWORD_COMMAND",
  "RESTIC_CACHE_DIR",
];

export interface ResticEnvOptions {
  repository: RepositoryConfig;
  cacheDir: string;
  baseEnv?: NodeJS.ProcessEnv;
}

/**
 * The environment restic runs with: the agent's own (PATH, HOME for ssh, proxies, cloud
 * credentials the operator configured on the host) plus the repository and its password.
 * The password goes here and nowhere else: never argv, never a file.
 *
 * `repository.username` is not used: every backend restic supports takes its user inside the
 * repository string (`sftp:user@host:/p`, `rest:https://user:pw@host/`), and the console stores
 * the URL the operator typed.
 */
export function resticEnv(options: ResticEnvOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...(options.baseEnv ?? process.env) };
  for (const key of CONFLICTING_ENV) delete env[key];
  env.RESTIC_REPOSITORY = options.repository.url;
  env.RESTIC_PASSWORD = options.repository.password;
  env.RESTIC_CACHE_DIR = options.cacheDir;
  // restic prints a status line ~30 times a second on a pipe; the agent reports once a second.
  env.RESTIC_PROGRESS_FPS ??= "4";
  return env;
}

export interface ResticExit {
  /** restic's exit code; null when it was killed by a signal or never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when restic could not be started at all (ENOENT, EACCES, ...). */
  spawnError: Error | null;
}

export interface ResticRunOptions {
  resticPath: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  /** Called with restic's pid once it runs (the orphan registry records it). */
  onSpawn?: (pid: number) => void;
  /** Called once restic has exited (before `done` resolves). */
  onExit?: (pid: number) => void;
  /** Collect stdout (up to this many bytes) into `ResticProcess.stdout()` instead of per line. */
  collectStdoutBytes?: number;
}

export interface ResticProcess {
  readonly pid: number | undefined;
  /** Resolves once restic exited and its output was fully read. Never rejects. */
  readonly done: Promise<ResticExit>;
  /** Stdout collected with `collectStdoutBytes`; throws when restic printed more. */
  stdout(): string;
  /** Stops restic: see `terminate`. Resolves once it has exited. */
  terminate(): Promise<void>;
  readonly terminated: boolean;
}

/** Longest line kept; restic's lines are far shorter, this only bounds memory. */
const MAX_LINE_BYTES = 1024 * 1024;
/** How long restic gets to clean up (remove its lock) after SIGINT before SIGTERM, then SIGKILL. */
export const TERM_AFTER_MS = 2_000;
export const KILL_AFTER_MS = 5_000;

/** Splits a byte stream into lines (\n or \r\n), decoding UTF-8 across chunk borders. */
export function lineSplitter(onLine: (line: string) => void) {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  let skipping = false;
  const emit = (line: string) => onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
  return {
    push(chunk: Buffer) {
      pending += decoder.write(chunk);
      let nl = pending.indexOf("\n");
      while (nl !== -1) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (skipping) skipping = false;
        else emit(line);
        nl = pending.indexOf("\n");
      }
      if (pending.length > MAX_LINE_BYTES) {
        if (!skipping) emit(pending.slice(0, MAX_LINE_BYTES));
        pending = "";
        skipping = true;
      }
    },
    end() {
      pending += decoder.end();
      if (pending.length > 0 && !skipping) emit(pending);
      pending = "";
    },
  };
}

/** Starts restic. Never throws: a failure to start comes back in `done` as `spawnError`. */
export function runRestic(options: ResticRunOptions): ResticProcess {
  let child: ChildProcess;
  let terminated = false;
  let exited = false;
  let collected: Buffer[] = [];
  let collectedBytes = 0;
  let overflow = false;

  try {
    child = spawn(options.resticPath, options.args, {
      env: options.env,
      cwd: options.cwd,
      // Own process group (setsid): a cancel signals the whole group, and restic outlives a
      // SIGKILLed agent only until the next agent start reaps it (see processes.ts).
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
      shell: false,
    });
  } catch (error) {
    return {
      pid: undefined,
      done: Promise.resolve({ exitCode: null, signal: null, spawnError: error as Error }),
      stdout: () => "",
      terminate: async () => {},
      terminated: false,
    };
  }

  const stdoutLines = options.onStdoutLine ? lineSplitter(options.onStdoutLine) : null;
  const stderrLines = lineSplitter(options.onStderrLine ?? (() => {}));
  child.stdout?.on("data", (chunk: Buffer) => {
    if (options.collectStdoutBytes !== undefined) {
      if (collectedBytes + chunk.length > options.collectStdoutBytes) overflow = true;
      else {
        collected.push(chunk);
        collectedBytes += chunk.length;
      }
    }
    stdoutLines?.push(chunk);
  });
  child.stderr?.on("data", (chunk: Buffer) => stderrLines.push(chunk));
  if (child.pid !== undefined) options.onSpawn?.(child.pid);

  const done = new Promise<ResticExit>((resolve) => {
    let spawnError: Error | null = null;
    child.on("error", (error) => {
      spawnError = error;
      // 'close' does not follow when the process never started.
      if (child.pid === undefined) finish(null, null);
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exited) return;
      exited = true;
      stdoutLines?.end();
      stderrLines.end();
      if (child.pid !== undefined) options.onExit?.(child.pid);
      resolve({ exitCode: code, signal, spawnError });
    };
    // 'close' fires after the pipes are drained, so no line is lost.
    child.on("close", finish);
  });

  let terminating: Promise<void> | null = null;
  return {
    get pid() {
      return child.pid;
    },
    done,
    get terminated() {
      return terminated;
    },
    stdout() {
      if (overflow) throw new Error(`restic printed more than ${options.collectStdoutBytes} bytes`);
      const text = Buffer.concat(collected).toString("utf8");
      collected = [];
      return text;
    },
    terminate() {
      terminating ??= (async () => {
        const pid = child.pid;
        if (exited || pid === undefined) return;
        terminated = true;
        await stopProcessGroup(pid, () => exited, done);
      })();
      return terminating;
    },
  };
}

/**
 * SIGINT to restic itself first: restic then removes its repository lock and exits (restic 0.14
 * dies on SIGTERM without cleaning up, leaving a stale lock). SIGTERM to the whole group after
 * TERM_AFTER_MS, SIGKILL after KILL_AFTER_MS. Once restic is gone, whatever it left in its group
 * (an ssh child) is killed too.
 */
async function stopProcessGroup(pid: number, hasExited: () => boolean, exited: Promise<unknown>): Promise<void> {
  const timers: NodeJS.Timeout[] = [];
  if (process.platform === "win32") {
    signalProcessGroup(pid, "SIGKILL");
  } else {
    try {
      process.kill(pid, "SIGINT");
    } catch {
      // already gone
    }
    timers.push(
      setTimeout(() => {
        if (!hasExited()) signalProcessGroup(pid, "SIGTERM");
      }, TERM_AFTER_MS),
      setTimeout(() => {
        if (!hasExited()) signalProcessGroup(pid, "SIGKILL");
      }, KILL_AFTER_MS),
    );
  }
  await exited;
  for (const timer of timers) clearTimeout(timer);
  // The group id cannot be reused while any member lives, so this reaches only restic's children.
  signalProcessGroup(pid, "SIGKILL");
}
