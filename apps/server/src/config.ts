/**
 * Every setting the server reads, in one place. Each comes from an RM_* environment
 * variable with a default that suits a first try on a laptop; a bad value stops the start
 * with a message naming the variable.
 */
import { isAbsolute, resolve } from "node:path";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace";
const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace"];

export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string;
  secretKeyFile: string;
  /** The URL operators and agents use to reach the console, without a trailing slash. */
  publicUrl: string;
  /** Whether RM_PUBLIC_URL was set, rather than derived from RM_LISTEN. */
  publicUrlExplicit: boolean;
  /** Proxy addresses whose X-Forwarded-* headers are believed (fastify `trustProxy`). */
  trustedProxy: string[] | false;
  logLevel: LogLevel;
  logPretty: boolean;
  /** Agent upgrades from one address being checked at once; more get 503 (RM_AGENT_UPGRADES_PER_ADDRESS). */
  agentUpgradesPerAddress: number;
  /** Directory holding the built SPA (index.html + assets/). */
  webDir: string;
  migrationsDir: string;
  /** Built agent binaries served at /agent/binary. */
  agentBinDir: string;
  /** install.sh / install.ps1 served at /install/*. */
  deployDir: string;
  sessionIdleHours: number;
  sessionMaxDays: number;
}

export class ConfigError extends Error {
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}

/** The repository root, found from this file: apps/server/{src,dist}/… is three levels down. */
export const REPO_ROOT = resolve(import.meta.dirname, "../../..");

type Env = Record<string, string | undefined>;

function parseListen(value: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m?.[1] || port < 0 || port > 65_535) {
    throw new ConfigError("RM_LISTEN", `expected host:port such as 127.0.0.1:8080 or 0.0.0.0:8080, got "${value}"`);
  }
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(
      "RM_PUBLIC_URL",
      `expected an absolute URL such as https://backup.example.com, got "${value}"`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError("RM_PUBLIC_URL", `must start with http:// or https://, got "${value}"`);
  }
  if (url.search || url.hash) throw new ConfigError("RM_PUBLIC_URL", "must not contain a query or fragment");
  return url.toString().replace(/\/+$/, "");
}

function parsePositive(variable: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(variable, `expected a positive number, got "${value}"`);
  return n;
}

function parseBool(variable: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(variable, `expected true or false, got "${value}"`);
}

export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): ServerConfig {
  const { host, port } = parseListen(env.RM_LISTEN ?? "127.0.0.1:8080");
  const dataDir = resolve(cwd, env.RM_DATA_DIR || "./data");

  const databaseUrl = env.RM_DATABASE_URL || `file:${resolve(dataDir, "restic-manager.db")}`;
  if (!/^(file|libsql|https?|wss?):/.test(databaseUrl)) {
    throw new ConfigError(
      "RM_DATABASE_URL",
      `expected a libsql URL such as file:/var/lib/rm/rm.db, got "${databaseUrl}"`,
    );
  }

  const secretKeyFile = resolve(cwd, env.RM_SECRET_KEY_FILE || resolve(dataDir, "secret.key"));

  const publicUrlExplicit = Boolean(env.RM_PUBLIC_URL);
  const displayHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const publicUrl = parsePublicUrl(env.RM_PUBLIC_URL || `http://${displayHost}:${port}`);

  let trustedProxy: string[] | false = false;
  if (env.RM_TRUSTED_PROXY) {
    trustedProxy = env.RM_TRUSTED_PROXY.split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    for (const p of trustedProxy) {
      if (!/^[0-9a-fA-F.:/]+$/.test(p)) {
        throw new ConfigError(
          "RM_TRUSTED_PROXY",
          `expected IP addresses or CIDR ranges separated by commas, got "${p}"`,
        );
      }
    }
  }

  const logLevel = (env.RM_LOG_LEVEL || "info").toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError("RM_LOG_LEVEL", `expected one of ${LOG_LEVELS.join(", ")}, got "${env.RM_LOG_LEVEL}"`);
  }

  const resolveDir = (v: string | undefined, fallback: string) =>
    v ? (isAbsolute(v) ? v : resolve(cwd, v)) : fallback;

  return {
    host,
    port,
    dataDir,
    databaseUrl,
    secretKeyFile,
    publicUrl,
    publicUrlExplicit,
    trustedProxy,
    logLevel,
    logPretty: parseBool("RM_LOG_PRETTY", env.RM_LOG_PRETTY, false),
    webDir: resolveDir(env.RM_WEB_DIR, resolve(REPO_ROOT, "apps/web/dist")),
    migrationsDir: resolveDir(env.RM_MIGRATIONS_DIR, resolve(REPO_ROOT, "drizzle")),
    agentBinDir: resolveDir(env.RM_AGENT_BIN_DIR, resolve(REPO_ROOT, "apps/agent/bin")),
    deployDir: resolveDir(env.RM_DEPLOY_DIR, resolve(REPO_ROOT, "deploy")),
    sessionIdleHours: parsePositive("RM_SESSION_IDLE_HOURS", env.RM_SESSION_IDLE_HOURS, 12),
    sessionMaxDays: parsePositive("RM_SESSION_MAX_DAYS", env.RM_SESSION_MAX_DAYS, 7),
    agentUpgradesPerAddress: Math.floor(
      parsePositive("RM_AGENT_UPGRADES_PER_ADDRESS", env.RM_AGENT_UPGRADES_PER_ADDRESS, 256),
    ),
  };
}
