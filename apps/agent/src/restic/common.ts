/** Small helpers shared by the restic subcommand parsers. */

/** Parses one line as a JSON object; null for anything else (text output, torn lines). */
export function parseJsonObject(line: string): Record<string, unknown> | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return null;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * restic's RFC 3339 times carry nanoseconds and a zone offset ("2024-05-01T10:00:00.123456789+02:00");
 * JavaScript engines do not all accept more than 3 fractional digits. Returns epoch ms or null.
 */
export function parseResticTime(value: string): number | null {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(value.trim());
  if (!match) return null;
  const fraction = (match[2] ?? "").slice(0, 3).padEnd(3, "0");
  const ms = Date.parse(`${match[1]}.${fraction}${match[3]}`);
  return Number.isFinite(ms) && ms >= 0 ? ms : null;
}

/** 1536 -> "1.500 KiB", like restic's own output. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(3)} ${units[unit]}`;
}

/** 75.2 -> "1:15"; 3725 -> "1:02:05". */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** Removes terminal control sequences restic writes on some lines (e.g. "\x1b[2K" before a message). */
export function stripAnsi(line: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching escape sequences is the point
  return line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
}

/** Some of Go's errno numbers as text, for restic 0.14 which prints `{"Op","Path","Err":13}` errors. */
const ERRNO_TEXT: Record<number, string> = {
  1: "operation not permitted",
  2: "no such file or directory",
  5: "input/output error",
  6: "no such device or address",
  12: "cannot allocate memory",
  13: "permission denied",
  16: "device or resource busy",
  20: "not a directory",
  21: "is a directory",
  24: "too many open files",
  36: "file name too long",
  40: "too many levels of symbolic links",
  61: "no data available",
  95: "operation not supported",
  116: "stale file handle",
};

/**
 * Text of a restic JSON error field. restic >= 0.15 writes `{"message": "..."}`; 0.14 writes the
 * Go error struct itself (`{"Op":"open","Path":"/x","Err":13}`) or a bare string.
 */
export function describeResticError(error: unknown): string {
  if (typeof error === "string") return error;
  if (typeof error !== "object" || error === null) return "unknown error";
  const e = error as Record<string, unknown>;
  if (typeof e.message === "string") return e.message;
  const op = typeof e.Op === "string" ? e.Op : null;
  const path = typeof e.Path === "string" ? e.Path : null;
  const cause =
    typeof e.Err === "number"
      ? (ERRNO_TEXT[e.Err] ?? `errno ${e.Err}`)
      : typeof e.Err === "string"
        ? e.Err
        : typeof e.Err === "object" && e.Err !== null
          ? describeResticError(e.Err)
          : null;
  if (op || path || cause) return [op, path].filter(Boolean).join(" ") + (cause ? `: ${cause}` : "");
  return JSON.stringify(error).slice(0, 1000);
}

/** restic's global flags for the job's bandwidth caps (KiB/s); they go before the subcommand. */
export function limitArgs(limits: { uploadKbps: number | null; downloadKbps: number | null } | null | undefined) {
  const args: string[] = [];
  if (limits?.uploadKbps) args.push("--limit-upload", String(limits.uploadKbps));
  if (limits?.downloadKbps) args.push("--limit-download", String(limits.downloadKbps));
  return args;
}

/**
 * An argument array as the one line an operator would type: `$ restic --limit-upload 2048 backup
 * --json -- /srv/data`. Arguments with spaces or shell characters are single-quoted. Secrets
 * never reach argv (they travel in the environment), so the line is safe to record.
 */
export function formatCommandLine(program: string, args: readonly string[]): string {
  const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
  return `$ ${[program, ...args].map(quote).join(" ")}`;
}
