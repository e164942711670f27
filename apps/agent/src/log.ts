/**
 * Log lines go to stderr, one per event: text by default (journald adds the timestamp anyway),
 * JSON with RM_AGENT_LOG_FORMAT=json. Registered secrets are masked in every line as a second
 * fence: no code path should log them in the first place.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(scope: string): Logger;
}

const secrets = new Set<string>();

/** Masks this value in every later log line. Values shorter than 4 characters are ignored. */
export function registerSecret(value: string | null | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join("[redacted]");
  return out;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: "text" | "json";
  write?: (line: string) => void;
}

export function createLogger(scope = "agent", options: LoggerOptions = {}): Logger {
  const envLevel = process.env.RM_AGENT_LOG_LEVEL as LogLevel | undefined;
  const level = options.level ?? (envLevel && envLevel in LEVELS ? envLevel : "info");
  const format = options.format ?? (process.env.RM_AGENT_LOG_FORMAT === "json" ? "json" : "text");
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));

  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < LEVELS[level]) return;
    const at = new Date().toISOString();
    if (format === "json") {
      write(redact(JSON.stringify({ at, level: lvl, scope, msg, ...fields })));
      return;
    }
    const extra = fields
      ? Object.entries(fields)
          .map(([k, v]) => `${k}=${typeof v === "string" ? JSON.stringify(v) : String(v)}`)
          .join(" ")
      : "";
    write(redact(`${at} ${lvl.padEnd(5)} ${scope}: ${msg}${extra ? ` ${extra}` : ""}`));
  };

  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (child) => createLogger(`${scope}.${child}`, { level, format, write }),
  };
}

/** A logger that drops everything, for tests and library callers. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
