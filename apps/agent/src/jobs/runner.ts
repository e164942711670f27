/**
 * The frame every job runs in: `job.started` first, then throttled `job.progress` and batched
 * `log.stream`, `job.finished` last, all through the outbox (seq numbers, spool, replay). The
 * job body only spawns restic and says how it went; cancel, the orphan registry and the
 * credentials are handled here.
 */
import { join } from "node:path";
import {
  type CommandRunPayload,
  type JobFinalStatus,
  type JobKind,
  type JobSummary,
  type LOG_STREAMS,
  type LogLine,
  MAX_LOG_LINE_CHARS,
  MAX_LOG_LINES_PER_FRAME,
} from "@restic-manager/protocol";
import type { AgentContext } from "../context.js";
import { redact, registerSecret } from "../log.js";
import type { BackupProgress } from "../restic/backup.js";
import { formatCommandLine, limitArgs, parseJsonObject, stripAnsi } from "../restic/common.js";
import { type ResticExit, type ResticProcess, type ResticRunOptions, resticEnv, runRestic } from "../restic/run.js";
import type { JobStream } from "./outbox.js";

/**
 * Runs one job kind: spawns restic (see ../restic/), reports job.started / progress / log.stream /
 * job.finished through the outbox, and resolves once job.finished is queued.
 */
export type JobRunner<K extends JobKind = JobKind> = (
  command: Extract<CommandRunPayload, { kind: K }>,
  ctx: AgentContext,
) => Promise<void>;

export type LogStreamName = (typeof LOG_STREAMS)[number];

export interface JobOutcome {
  status: JobFinalStatus;
  exitCode: number | null;
  error: string | null;
  summary: JobSummary | null;
}

/** Log batches are flushed this often, or at MAX_BATCH_LINES / MAX_BATCH_BYTES. */
export const LOG_FLUSH_MS = 250;
export const MAX_BATCH_LINES = Math.min(500, MAX_LOG_LINES_PER_FRAME);
/** Well under MAX_FRAME_BYTES even with JSON escaping. */
export const MAX_BATCH_BYTES = 512 * 1024;
export const PROGRESS_INTERVAL_MS = 1_000;
/** Stdout of `restic snapshots` is collected whole; this bounds it. */
const MAX_COLLECTED_STDOUT = 256 * 1024 * 1024;

export interface SpawnOptions {
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
  collectStdoutBytes?: number;
  /** Record the command line as a `system` log line (`$ restic ...`) before starting it. */
  record?: boolean;
}

export interface StreamedOptions {
  /** Record the command line as a `system` log line first (default true). */
  record?: boolean;
  /** Rewrites a stdout line (ANSI stripped) for the log, e.g. restic's JSON as its text sentence. */
  describeStdout?: (line: string) => string;
}

/** Anything a cancel must stop: restic, or a hook's process group. */
export interface Stoppable {
  terminate(): Promise<void>;
}

/** One line for the wire: no NUL, no line breaks inside, at most MAX_LOG_LINE_CHARS, secrets masked. */
export function sanitizeLine(text: string): string {
  let line = redact(text)
    .replace(/\0/g, "\uFFFD")
    .replace(/\r?\n|\r/g, "\\n");
  if (line.length > MAX_LOG_LINE_CHARS) line = `${line.slice(0, MAX_LOG_LINE_CHARS - 16)} [line truncated]`;
  return line;
}

const sanitizeError = (text: string) => redact(text).replace(/\0/g, "\uFFFD").slice(0, 4096);

/** What a running job's body can do. */
export class JobRun {
  readonly jobId: string;
  readonly kind: JobKind;
  readonly resticVersion: string | null;
  #cancelled = false;
  #current: Stoppable | null = null;
  /** Global flags (bandwidth caps) every restic call of this job carries before its subcommand. */
  readonly globalArgs: readonly string[];
  #lines: LogLine[] = [];
  #batchBytes = 0;
  #nextLine = 0;
  #logTimer: NodeJS.Timeout | null = null;
  #progressTimer: NodeJS.Timeout | null = null;
  #pendingProgress: BackupProgress | null = null;
  #lastProgressAt = 0;
  #closed = false;

  constructor(
    command: CommandRunPayload,
    private readonly ctx: AgentContext,
    private readonly stream: JobStream,
    private readonly restic: { path: string; env: NodeJS.ProcessEnv } | null,
  ) {
    this.jobId = command.jobId;
    this.kind = command.kind;
    this.resticVersion = ctx.restic().version;
    this.globalArgs = limitArgs(command.limits);
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Number of log lines emitted so far (the next line's job-wide number). */
  get lineCount(): number {
    return this.#nextLine;
  }

  // ----------------------------------------------------------------------------------------
  // Events
  // ----------------------------------------------------------------------------------------

  started(): void {
    this.ctx.outbox.emit(this.stream, "job.started", { at: Date.now(), kind: this.kind });
  }

  line(stream: LogStreamName, text: string): void {
    if (this.#closed) return;
    const entry: LogLine = { at: Date.now(), stream, line: sanitizeLine(text) };
    const bytes = Buffer.byteLength(JSON.stringify(entry)) + 1;
    if (this.#lines.length > 0 && this.#batchBytes + bytes > MAX_BATCH_BYTES) this.flushLogs();
    this.#lines.push(entry);
    this.#batchBytes += bytes;
    if (this.#lines.length >= MAX_BATCH_LINES) this.flushLogs();
    else if (!this.#logTimer) this.#logTimer = setTimeout(() => this.flushLogs(), LOG_FLUSH_MS);
  }

  /** A line from the agent itself (not restic's output). */
  system(text: string): void {
    this.line("system", text);
  }

  flushLogs(): void {
    if (this.#logTimer) clearTimeout(this.#logTimer);
    this.#logTimer = null;
    if (this.#lines.length === 0) return;
    const lines = this.#lines;
    this.#lines = [];
    this.#batchBytes = 0;
    const lineOffset = this.#nextLine;
    this.#nextLine += lines.length;
    this.ctx.outbox.emit(this.stream, "log.stream", { at: Date.now(), lineOffset, lines });
  }

  /** At most one `job.progress` per PROGRESS_INTERVAL_MS; the latest report wins. */
  progress(progress: BackupProgress): void {
    if (this.#closed) return;
    this.#pendingProgress = progress;
    const wait = this.#lastProgressAt + PROGRESS_INTERVAL_MS - Date.now();
    if (wait <= 0) this.#sendProgress();
    else this.#progressTimer ??= setTimeout(() => this.#sendProgress(), wait);
  }

  #sendProgress(): void {
    if (this.#progressTimer) clearTimeout(this.#progressTimer);
    this.#progressTimer = null;
    const p = this.#pendingProgress;
    if (!p || this.#closed) return;
    this.#pendingProgress = null;
    this.#lastProgressAt = Date.now();
    this.ctx.outbox.emit(this.stream, "job.progress", {
      at: this.#lastProgressAt,
      percent: p.percent,
      filesDone: p.filesDone,
      filesTotal: p.filesTotal,
      bytesDone: p.bytesDone,
      bytesTotal: p.bytesTotal,
      etaSeconds: p.etaSeconds,
      currentFile: p.currentFile === null ? null : sanitizeLine(p.currentFile).slice(0, 4096),
    });
  }

  finished(outcome: JobOutcome): void {
    if (this.#closed) return;
    this.flushLogs();
    this.#closed = true;
    if (this.#progressTimer) clearTimeout(this.#progressTimer);
    this.#progressTimer = null;
    const body = {
      at: Date.now(),
      status: outcome.status,
      exitCode: outcome.exitCode === null ? null : Math.max(-1, Math.min(255, outcome.exitCode)),
      error: outcome.error === null ? null : sanitizeError(outcome.error),
      summary: outcome.summary,
    };
    try {
      this.ctx.outbox.emit(this.stream, "job.finished", body);
    } catch (error) {
      // A summary the protocol refuses must not cost the job its final status.
      this.ctx.log.error(`job ${this.jobId}: job.finished refused its summary: ${(error as Error).message}`);
      this.ctx.outbox.emit(this.stream, "job.finished", { ...body, summary: null });
    }
  }

  // ----------------------------------------------------------------------------------------
  // restic
  // ----------------------------------------------------------------------------------------

  /** Starts restic for this job: recorded for orphan cleanup, stopped by cancel. */
  spawn(args: string[], options: SpawnOptions = {}): ResticProcess {
    if (!this.restic) throw new Error("restic is not available to this job");
    const registry = this.ctx.processes;
    const { record, ...rest } = options;
    const argv = [...this.globalArgs, ...args];
    if (record) this.system(formatCommandLine("restic", argv));
    const run: ResticRunOptions = {
      resticPath: this.restic.path,
      args: argv,
      env: this.restic.env,
      ...rest,
      onSpawn: (pid) => registry.add(pid, this.jobId),
      onExit: (pid) => registry.remove(pid),
    };
    const proc = runRestic(run);
    this.track(proc, proc.done);
    if (this.#cancelled) void proc.terminate();
    return proc;
  }

  /** Makes `proc` the process a cancel stops, until `done` settles. */
  track(proc: Stoppable, done: Promise<unknown>): void {
    this.#current = proc;
    void done.then(() => {
      if (this.#current === proc) this.#current = null;
    });
  }

  /** Records a hook's (or any helper's) process group for orphan cleanup after an agent crash. */
  get processes() {
    return this.ctx.processes;
  }

  /**
   * Runs restic with its output streamed into the job log as text (ANSI stripped, blank lines
   * dropped) and, unless `record` is false, the command line recorded. `describeStdout` rewrites
   * each stdout line before it is logged. Returns the exit, restic's reason on failure and the
   * first 20 / last 50 stderr lines.
   */
  async runStreamed(
    args: string[],
    { record = true, describeStdout }: StreamedOptions = {},
  ): Promise<{ exit: ResticExit; reason: string | null; stderrHead: string[]; stderrTail: string[] }> {
    const stderr: string[] = [];
    const stderrHead: string[] = [];
    let fatal: string | null = null;
    const emit = (stream: LogStreamName, raw: string) => {
      const json = parseJsonObject(raw);
      let line = stripAnsi(raw);
      if (stream === "stdout" && describeStdout) line = describeStdout(line);
      line = line.trimEnd();
      if (json?.message_type === "exit_error" && typeof json.message === "string") {
        fatal = json.message.replace(/^Fatal: /, "");
        line = `Fatal: ${fatal}`;
      } else if (line.startsWith("Fatal: ")) fatal = line.slice("Fatal: ".length);
      if (!line.trim()) return;
      if (stream === "stderr") {
        if (stderrHead.length < 20) stderrHead.push(line);
        stderr.push(line);
        if (stderr.length > 50) stderr.shift();
      }
      this.line(stream, line);
    };
    const proc = this.spawn(args, {
      record,
      onStdoutLine: (line) => emit("stdout", line),
      onStderrLine: (line) => emit("stderr", line),
    });
    const exit = await proc.done;
    return {
      exit,
      reason: exit.exitCode === 0 ? null : failureReason(exit, fatal, stderr),
      stderrHead,
      stderrTail: stderr,
    };
  }

  /** Spawns restic, collecting stdout; resolves with it and the exit. */
  async collect(args: string[], onStderrLine?: (line: string) => void) {
    const proc = this.spawn(args, { collectStdoutBytes: MAX_COLLECTED_STDOUT, onStderrLine });
    const exit = await proc.done;
    return { exit, stdout: () => proc.stdout() };
  }

  cancel(): void {
    if (this.#cancelled || this.#closed) return;
    this.#cancelled = true;
    this.system("cancel requested: stopping restic");
    void this.#current?.terminate();
  }
}

/** restic path and environment for a job, or why the job cannot run. */
function prepareRestic(
  ctx: AgentContext,
  command: CommandRunPayload,
): { path: string; env: NodeJS.ProcessEnv } | { error: string } {
  const restic = ctx.restic();
  if (!restic.path || restic.error) {
    return { error: `restic is not usable on this host: ${restic.error ?? "not found"}` };
  }
  let stored: ReturnType<AgentContext["secrets"]["read"]>;
  try {
    stored = ctx.secrets.read();
  } catch (error) {
    return { error: (error as Error).message };
  }
  if (!stored) {
    return {
      error:
        "this agent has no repository credentials yet: the server sends them right after the agent connects. Run the job again.",
    };
  }
  registerSecret(stored.repository.password);
  // prune's separate admin credential: in this job's environment only, never on disk, masked in
  // every log line like the regular password.
  const admin = command.kind === "prune" ? (command.adminRepository ?? null) : null;
  if (admin) registerSecret(admin.password);
  return {
    path: restic.path,
    env: resticEnv({ repository: admin ?? stored.repository, cacheDir: join(ctx.stateDir, "cache") }),
  };
}

/**
 * Runs one job from `job.started` to `job.finished`. The body returns the outcome; a throw
 * becomes a failed job. Resolves once `job.finished` is in the outbox.
 */
export async function runJob(
  command: CommandRunPayload,
  ctx: AgentContext,
  body: (run: JobRun) => Promise<JobOutcome>,
): Promise<void> {
  const stream = ctx.outbox.open(command.jobId);
  if (!stream) {
    ctx.log.warn(`job ${command.jobId} already ran on this agent; ignored the repeated command.run`);
    return;
  }
  const restic = prepareRestic(ctx, command);
  const run = new JobRun(command, ctx, stream, "error" in restic ? null : restic);
  ctx.runningJobs.set(command.jobId, { kind: command.kind, cancel: () => run.cancel() });
  ctx.log.info(`${command.kind} job ${command.jobId} started`);
  let outcome: JobOutcome;
  try {
    run.started();
    if ("error" in restic) {
      run.system(restic.error);
      outcome = { status: "failed", exitCode: null, error: restic.error, summary: null };
    } else {
      outcome = await body(run);
    }
  } catch (error) {
    const message = `the agent failed while running the job: ${(error as Error).message}`;
    ctx.log.error(`${command.kind} job ${command.jobId}: ${message}`);
    run.system(message);
    outcome = { status: "failed", exitCode: null, error: message, summary: null };
  }
  try {
    run.finished(outcome);
  } finally {
    ctx.runningJobs.delete(command.jobId);
    ctx.outbox.end(stream);
  }
  ctx.log.info(
    `${command.kind} job ${command.jobId} ${outcome.status}${outcome.error ? `: ${outcome.error.slice(0, 300)}` : ""}`,
  );
}

/** A job that ends before it starts (busy, unsupported kind): one `job.finished`, failed. */
export function refuseJob(ctx: AgentContext, jobId: string, error: string): void {
  const stream = ctx.outbox.open(jobId);
  if (!stream) return;
  try {
    ctx.outbox.emit(stream, "job.finished", {
      at: Date.now(),
      status: "failed",
      exitCode: null,
      error: sanitizeError(error),
      summary: null,
    });
  } finally {
    ctx.outbox.end(stream);
  }
}

/** The best one-line reason restic gave for failing. */
export function failureReason(
  exit: { exitCode: number | null; signal: NodeJS.Signals | null; spawnError: Error | null },
  fatal: string | null,
  lastStderr: readonly string[],
): string {
  if (exit.spawnError) return `cannot start restic: ${exit.spawnError.message}`;
  if (fatal) return fatal;
  const last = lastStderr.at(-1);
  if (last) return last;
  if (exit.exitCode === null) return `restic was killed by ${exit.signal ?? "a signal"}`;
  return `restic exited with code ${exit.exitCode}`;
}
