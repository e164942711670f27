/**
 * Pre/post hooks around a backup: the operator's shell script, run by `/bin/sh -c` (`cmd.exe /C`
 * on Windows) in its own process group, with no repository secret in its environment. Output is
 * streamed into the job log as `hook(pre): ...` lines, capped; a timeout or a cancel stops the
 * whole group (SIGTERM, then SIGKILL).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { signalProcessGroup } from "../restic/processes.js";
import { lineSplitter } from "../restic/run.js";
import type { JobRun } from "./runner.js";

export type HookName = "pre" | "post";

/** Output beyond these is dropped, with one marker line. */
export const MAX_HOOK_LINES = 1000;
export const MAX_HOOK_BYTES = 1024 * 1024;
/** After SIGTERM to the hook's group, SIGKILL follows this much later. */
export const HOOK_KILL_AFTER_MS = 2_000;

export interface HookResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Stopped by a cancel of the job. */
  cancelled: boolean;
  spawnError: Error | null;
}

/** Variables a hook never sees: the repository's (RESTIC_*) and the agent's enrolment token. */
const isSecretVar = (name: string) => /^RESTIC_/i.test(name) || /^RM_TOKEN$/i.test(name);

export function hookEnv(vars: Record<string, string>, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) if (!isSecretVar(name)) env[name] = value;
  return { ...env, ...vars };
}

/** One line of the result for the job log and the error. */
export function describeHookFailure(name: HookName, result: HookResult, timeoutSeconds: number): string | null {
  if (result.spawnError) return `${name}-hook could not start: ${result.spawnError.message}`;
  if (result.timedOut) return `${name}-hook timed out after ${timeoutSeconds}s and was killed`;
  if (result.cancelled) return `${name}-hook was stopped by a cancel`;
  if (result.exitCode === null) return `${name}-hook was killed by ${result.signal ?? "a signal"}`;
  if (result.exitCode !== 0) return `${name}-hook exited with code ${result.exitCode}`;
  return null;
}

export async function runHook(
  run: JobRun,
  options: { name: HookName; script: string; timeoutSeconds: number; env: NodeJS.ProcessEnv },
): Promise<HookResult> {
  const { name } = options;
  const windows = process.platform === "win32";
  const [shell, args] = windows
    ? [process.env.ComSpec ?? "cmd.exe", ["/d", "/s", "/c", `"${options.script}"`]]
    : ["/bin/sh", ["-c", options.script]];
  run.system(`running the ${name}-hook (timeout ${options.timeoutSeconds}s)`);

  let lines = 0;
  let bytes = 0;
  let capped = false;
  const onLine = (stream: "stdout" | "stderr") => (line: string) => {
    if (capped) return;
    lines++;
    bytes += Buffer.byteLength(line) + 1;
    if (lines > MAX_HOOK_LINES || bytes > MAX_HOOK_BYTES) {
      capped = true;
      run.system(`hook(${name}): output truncated after ${MAX_HOOK_LINES} lines / ${MAX_HOOK_BYTES} bytes`);
      return;
    }
    run.line(stream, `hook(${name}): ${line}`);
  };

  let child: ChildProcess;
  try {
    child = spawn(shell, args, {
      env: options.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
      windowsVerbatimArguments: windows,
    });
  } catch (error) {
    return { exitCode: null, signal: null, timedOut: false, cancelled: false, spawnError: error as Error };
  }
  const out = lineSplitter(onLine("stdout"));
  const err = lineSplitter(onLine("stderr"));
  child.stdout?.on("data", (chunk: Buffer) => out.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => err.push(chunk));
  const pid = child.pid;
  if (pid !== undefined) run.processes.add(pid, run.jobId);

  let exited = false;
  let timedOut = false;
  let stopping: Promise<void> | null = null;
  let killTimer: NodeJS.Timeout | null = null;
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error: Error | null }>((resolve) => {
    let error: Error | null = null;
    child.on("error", (e) => {
      error = e;
      if (child.pid === undefined) finish(null, null);
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exited) return;
      exited = true;
      out.end();
      err.end();
      if (pid !== undefined) run.processes.remove(pid);
      resolve({ code, signal, error });
    };
    child.on("close", finish);
    // A background process the script started may hold the pipes open after the shell exited:
    // give it a moment to finish its output, then kill the group and stop reading.
    child.on("exit", (code, signal) => {
      setTimeout(() => {
        if (exited) return;
        if (pid !== undefined) signalProcessGroup(pid, "SIGKILL");
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(code, signal);
      }, 1_000).unref();
    });
  });
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exited || pid === undefined) return;
      signalProcessGroup(pid, windows ? "SIGKILL" : "SIGTERM");
      killTimer = setTimeout(() => signalProcessGroup(pid, "SIGKILL"), HOOK_KILL_AFTER_MS);
      await done;
    })();
    return stopping;
  };
  const handle = { terminate: stop };
  run.track(handle, done);
  const timer = setTimeout(() => {
    timedOut = true;
    run.system(`${name}-hook still running after ${options.timeoutSeconds}s: killing its process group`);
    void stop();
  }, options.timeoutSeconds * 1000);
  const result = await done;
  clearTimeout(timer);
  if (killTimer) clearTimeout(killTimer);
  // Whatever the shell left running in its group goes with it.
  if (pid !== undefined) signalProcessGroup(pid, "SIGKILL");
  return {
    exitCode: result.code,
    signal: result.signal,
    timedOut,
    cancelled: !timedOut && stopping !== null,
    spawnError: result.error,
  };
}
