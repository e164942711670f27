/**
 * `restic backup --json -v`: JSON lines on stdout (`status`, `verbose_status`, `summary`) and
 * on stderr (`error`, and `exit_error` from restic 0.17 on), plus plain text on both for what
 * restic never converted to JSON. Schemas follow restic's doc/075_scripting.rst; every field is
 * optional because restic omits zero values and adds fields over time.
 *
 * Version differences handled here:
 * - 0.14 labels the `scan_finished` verbose message `"message_type":"status"`.
 * - 0.14 writes error details as the Go error struct (`{"Op","Path","Err":13}`), newer restic
 *   as `{"message": "..."}`.
 * - 0.14's summary `snapshot_id` is the short id; newer restic gives the full id.
 * - `data_added_packed`, `backup_start`/`backup_end` and `exit_error` only exist in newer restic.
 */
import type { BackupParams, JobSummary } from "@restic-manager/protocol";
import { z } from "zod";
import { describeResticError, formatBytes, formatDuration, parseJsonObject, stripAnsi } from "./common.js";

/**
 * The argument array: options first, then `--`, then the paths, so no path can become a flag
 * even if one starts with '-' (the protocol refuses those too; this is the second fence).
 */
export function backupArgs(params: Pick<BackupParams, "paths" | "excludes" | "tags">): string[] {
  return [
    "backup",
    "--json",
    "-v",
    ...params.excludes.map((pattern) => `--exclude=${pattern}`),
    ...params.tags.map((tag) => `--tag=${tag}`),
    "--",
    ...params.paths,
  ];
}

const count = z.number().nonnegative().optional();

export const ZBackupStatus = z.object({
  message_type: z.literal("status"),
  seconds_elapsed: count,
  seconds_remaining: count,
  percent_done: z.number().optional(),
  total_files: count,
  files_done: count,
  total_bytes: count,
  bytes_done: count,
  error_count: count,
  current_files: z.array(z.string()).nullish(),
});
export type BackupStatus = z.infer<typeof ZBackupStatus>;

export const ZBackupVerboseStatus = z.object({
  // restic 0.14 prints the scan_finished message with message_type "status".
  message_type: z.enum(["verbose_status", "status"]),
  action: z.string(),
  item: z.string().default(""),
  duration: count,
  data_size: count,
  data_size_in_repo: count,
  metadata_size: count,
  metadata_size_in_repo: count,
  total_files: count,
});
export type BackupVerboseStatus = z.infer<typeof ZBackupVerboseStatus>;

const zero = z.number().nonnegative().default(0);
export const ZBackupSummary = z.object({
  message_type: z.literal("summary"),
  dry_run: z.boolean().optional(),
  files_new: zero,
  files_changed: zero,
  files_unmodified: zero,
  dirs_new: zero,
  dirs_changed: zero,
  dirs_unmodified: zero,
  data_blobs: z.number().default(0),
  tree_blobs: z.number().default(0),
  data_added: zero,
  data_added_packed: count,
  total_files_processed: zero,
  total_bytes_processed: zero,
  total_duration: zero,
  backup_start: z.string().optional(),
  backup_end: z.string().optional(),
  snapshot_id: z.string().optional(),
});
export type BackupSummary = z.infer<typeof ZBackupSummary>;

export const ZBackupError = z.object({
  message_type: z.literal("error"),
  error: z.unknown(),
  during: z.string().optional(),
  item: z.string().optional(),
});

export const ZExitError = z.object({
  message_type: z.literal("exit_error"),
  code: z.number(),
  message: z.string(),
});

export type BackupLine =
  | { kind: "status"; status: BackupStatus }
  | { kind: "verbose"; verbose: BackupVerboseStatus }
  | { kind: "summary"; summary: BackupSummary }
  | { kind: "error"; message: string; during: string | null; item: string | null }
  | { kind: "exit_error"; code: number; message: string }
  | { kind: "text"; line: string }
  | { kind: "unknown"; messageType: string };

/** Classifies one line of restic backup output (stdout or stderr). */
export function parseBackupLine(raw: string): BackupLine {
  const json = parseJsonObject(raw);
  if (!json) return { kind: "text", line: stripAnsi(raw) };
  const type = typeof json.message_type === "string" ? json.message_type : "";
  if (type === "verbose_status" || (type === "status" && typeof json.action === "string")) {
    const parsed = ZBackupVerboseStatus.safeParse(json);
    if (parsed.success) return { kind: "verbose", verbose: parsed.data };
  } else if (type === "status") {
    const parsed = ZBackupStatus.safeParse(json);
    if (parsed.success) return { kind: "status", status: parsed.data };
  } else if (type === "summary") {
    const parsed = ZBackupSummary.safeParse(json);
    if (parsed.success) return { kind: "summary", summary: parsed.data };
  } else if (type === "error") {
    const parsed = ZBackupError.safeParse(json);
    if (parsed.success) {
      return {
        kind: "error",
        message: describeResticError(parsed.data.error),
        during: parsed.data.during ?? null,
        item: parsed.data.item ?? null,
      };
    }
  } else if (type === "exit_error") {
    const parsed = ZExitError.safeParse(json);
    if (parsed.success) return { kind: "exit_error", code: parsed.data.code, message: parsed.data.message };
  }
  return { kind: "unknown", messageType: type || "(none)" };
}

export interface BackupProgress {
  percent: number;
  filesDone: number;
  /** Null while restic is still scanning (its totals are still growing). */
  filesTotal: number | null;
  bytesDone: number;
  bytesTotal: number | null;
  etaSeconds: number | null;
  currentFile: string | null;
}

const int = (n: number | undefined) => Math.max(0, Math.floor(n ?? 0));

export function toProgress(status: BackupStatus, scanFinished: boolean): BackupProgress {
  const percent = Math.min(100, Math.max(0, (status.percent_done ?? 0) * 100));
  return {
    percent: Number.isFinite(percent) ? percent : 0,
    filesDone: int(status.files_done),
    filesTotal: scanFinished ? int(status.total_files) : null,
    bytesDone: int(status.bytes_done),
    bytesTotal: scanFinished ? int(status.total_bytes) : null,
    etaSeconds: status.seconds_remaining !== undefined ? Math.min(1e9, status.seconds_remaining) : null,
    currentFile: status.current_files?.[0]?.slice(0, 4096) ?? null,
  };
}

/** restic's summary as the protocol's flat camelCase job summary. */
export function toJobSummary(summary: BackupSummary, extra: { snapshotId?: string | null; errorCount?: number } = {}) {
  const out: JobSummary = {
    filesNew: summary.files_new,
    filesChanged: summary.files_changed,
    filesUnmodified: summary.files_unmodified,
    dirsNew: summary.dirs_new,
    dirsChanged: summary.dirs_changed,
    dirsUnmodified: summary.dirs_unmodified,
    dataBlobs: summary.data_blobs,
    treeBlobs: summary.tree_blobs,
    dataAdded: summary.data_added,
    totalFilesProcessed: summary.total_files_processed,
    totalBytesProcessed: summary.total_bytes_processed,
    totalDuration: summary.total_duration,
    snapshotId: (extra.snapshotId ?? summary.snapshot_id ?? null)?.slice(0, 1024) ?? null,
  };
  if (summary.data_added_packed !== undefined) out.dataAddedPacked = summary.data_added_packed;
  if (extra.errorCount !== undefined) out.errorCount = extra.errorCount;
  return out;
}

/** The summary as restic's text output prints it, for the job log. */
export function describeSummary(summary: BackupSummary): string[] {
  const row = (a: number, b: number, c: number) =>
    `${String(a).padStart(5)} new, ${String(b).padStart(5)} changed, ${String(c).padStart(5)} unmodified`;
  const packed = summary.data_added_packed !== undefined ? ` (${formatBytes(summary.data_added_packed)} stored)` : "";
  const lines = [
    `Files:     ${row(summary.files_new, summary.files_changed, summary.files_unmodified)}`,
    `Dirs:      ${row(summary.dirs_new, summary.dirs_changed, summary.dirs_unmodified)}`,
    `Added to the repository: ${formatBytes(summary.data_added)}${packed}`,
    `processed ${summary.total_files_processed} files, ${formatBytes(summary.total_bytes_processed)} in ${formatDuration(summary.total_duration)}`,
  ];
  if (summary.dry_run) lines.push("dry run: no snapshot saved");
  else if (summary.snapshot_id) lines.push(`snapshot ${summary.snapshot_id.slice(0, 8)} saved`);
  return lines;
}

export interface BackupOutputOptions {
  onProgress: (progress: BackupProgress) => void;
  onLine: (stream: "stdout" | "stderr" | "system", line: string) => void;
  /** New/changed files listed in the log before the rest is only counted. */
  maxFileLines?: number;
  /** Error lines (unreadable files) listed before the rest is only counted. */
  maxErrorLines?: number;
  /** Plain text lines from restic (per stream) before the rest is only counted. */
  maxTextLines?: number;
}

/**
 * Turns restic backup's output into progress, log lines and the final summary. Pure: the job
 * runner feeds it lines; the unit tests feed it recorded restic output.
 */
const UNCHANGED_MARK = '"action":"unchanged"';
const VERBOSE_MARK = '"message_type":"verbose_status"';

export class BackupOutput {
  summary: BackupSummary | null = null;
  /** The reason restic gave for a fatal error (exit_error, or its "Fatal: ..." line). */
  fatal: string | null = null;
  errorCount = 0;
  scanFinished = false;
  readonly #options: Required<BackupOutputOptions>;
  #fileLines = 0;
  #errorLines = 0;
  #filesNotListed = 0;
  #errorsNotListed = 0;
  #textLines = { stdout: 0, stderr: 0 };
  #textNotListed = 0;
  /** Last few plain stderr lines, for an error message when restic gives no Fatal line. */
  readonly lastStderr: string[] = [];

  constructor(options: BackupOutputOptions) {
    this.#options = { maxFileLines: 10_000, maxErrorLines: 10_000, maxTextLines: 10_000, ...options };
  }

  stdout(raw: string): void {
    // With -v restic prints one line per file, unchanged ones too (100k lines for an incremental
    // backup of 100k files), and the log never shows them: skip those before JSON.parse and the
    // schema check. Go's encoder writes this key/value pair exactly so; inside a JSON string the
    // quotes would be escaped, so a path cannot fake it.
    if (raw.includes(UNCHANGED_MARK) && raw.includes(VERBOSE_MARK)) return;
    this.#handle(parseBackupLine(raw), "stdout");
  }

  stderr(raw: string): void {
    this.#handle(parseBackupLine(raw), "stderr");
  }

  #handle(line: BackupLine, stream: "stdout" | "stderr"): void {
    const { onLine, onProgress } = this.#options;
    switch (line.kind) {
      case "status":
        if (line.status.seconds_remaining !== undefined) this.scanFinished = true;
        if (line.status.error_count !== undefined) this.errorCount = Math.max(this.errorCount, line.status.error_count);
        onProgress(toProgress(line.status, this.scanFinished));
        return;
      case "verbose":
        this.#verbose(line.verbose);
        return;
      case "summary":
        this.summary = line.summary;
        for (const text of describeSummary(line.summary)) onLine("stdout", text);
        return;
      case "error": {
        this.#errorLines++;
        this.errorCount = Math.max(this.errorCount, this.#errorLines);
        if (this.#errorLines > this.#options.maxErrorLines) {
          this.#errorsNotListed++;
          return;
        }
        const where = line.item && !line.message.includes(line.item) ? `${line.item}: ` : "";
        const during = line.during && line.during !== "archival" ? ` (during ${line.during})` : "";
        onLine("stderr", `error: ${where}${line.message}${during}`);
        return;
      }
      case "exit_error":
        this.fatal = line.message;
        onLine("stderr", `Fatal: ${line.message}`);
        return;
      case "text": {
        const text = line.line.trimEnd();
        if (!text.trim()) return;
        if (stream === "stderr") {
          this.lastStderr.push(text);
          if (this.lastStderr.length > 5) this.lastStderr.shift();
          if (text.startsWith("Fatal: ")) this.fatal = text.slice("Fatal: ".length);
        }
        if (this.#textLines[stream]++ >= this.#options.maxTextLines) {
          this.#textNotListed++;
          return;
        }
        onLine(stream, text);
        return;
      }
      case "unknown":
        return;
    }
  }

  #verbose(v: BackupVerboseStatus): void {
    const { onLine } = this.#options;
    if (v.action === "scan_finished") {
      this.scanFinished = true;
      const duration = v.duration !== undefined ? ` in ${v.duration.toFixed(3)} s` : "";
      onLine("stdout", `scan finished${duration}: ${int(v.total_files)} files, ${formatBytes(int(v.data_size))}`);
      return;
    }
    if (v.action !== "new" && v.action !== "modified") return;
    // Directories are listed too; every parent of a changed file is "modified": noise in a log.
    if (v.item.endsWith("/") || v.item.endsWith("\\")) return;
    if (this.#fileLines >= this.#options.maxFileLines) {
      this.#filesNotListed++;
      return;
    }
    this.#fileLines++;
    onLine("stdout", `${v.action.padEnd(8)} ${v.item} (${formatBytes(int(v.data_size))})`);
  }

  /** Lines saying what the caps left out; call once restic has exited. */
  finish(): void {
    const { onLine } = this.#options;
    if (this.#filesNotListed > 0) {
      onLine(
        "system",
        `${this.#filesNotListed} more new or changed files are not listed (the log lists the first ${this.#options.maxFileLines})`,
      );
    }
    if (this.#errorsNotListed > 0) {
      onLine(
        "system",
        `${this.#errorsNotListed} more errors are not listed (the log lists the first ${this.#options.maxErrorLines})`,
      );
    }
    if (this.#textNotListed > 0) onLine("system", `${this.#textNotListed} more lines of restic output were dropped`);
  }
}
