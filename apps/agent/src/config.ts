import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Document, isScalar, parse as parseYaml } from "yaml";
import { z } from "zod";
import { writeFileAtomic } from "./fs-atomic.js";

/** Where the agent keeps its files by default on this platform. */
export function defaultPaths(platform: NodeJS.Platform = process.platform, env = process.env) {
  if (platform === "win32") {
    const base = join(env.ProgramData ?? "C:\\ProgramData", "restic-manager");
    return {
      config: join(base, "agent.yaml"),
      secretsFile: join(base, "secrets.enc"),
      spoolDir: join(base, "spool"),
    };
  }
  return {
    config: "/etc/restic-manager/agent.yaml",
    secretsFile: "/var/lib/restic-manager/secrets.enc",
    spoolDir: "/var/lib/restic-manager/spool",
  };
}

/** `--config` beats `RM_AGENT_CONFIG` beats the platform default. */
export function resolveConfigPath(flag: string | undefined, env = process.env): string {
  const chosen = flag ?? env.RM_AGENT_CONFIG;
  return chosen ? resolve(chosen) : defaultPaths().config;
}

/**
 * Data files for a config at `configPath`: the platform defaults for the default config, and
 * files beside the config otherwise (so `--config /tmp/x/agent.yaml` runs unprivileged).
 */
export function dataPathsFor(configPath: string) {
  const defaults = defaultPaths();
  if (resolve(configPath) === resolve(defaults.config)) return defaults;
  const dir = dirname(resolve(configPath));
  return { config: configPath, secretsFile: join(dir, "secrets.enc"), spoolDir: join(dir, "spool") };
}

export const normaliseTlsPin = (pin: string) => pin.replace(/[:\s]/g, "").toLowerCase();

const ZServerUrl = z
  .string()
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === "http:" || url.protocol === "https:") && !url.username && !url.password;
    } catch {
      return false;
    }
  }, "must be an http:// or https:// URL without credentials, e.g. https://backup.example.com")
  .transform((value) => value.replace(/\/+$/, ""));

export const ZTlsPin = z
  .string()
  .transform(normaliseTlsPin)
  .pipe(z.string().regex(/^[0-9a-f]{64}$/, "must be the SHA-256 of the server's certificate: 64 hex digits"));

const ZSecretsKey = z
  .string()
  .trim()
  .refine((v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, "base64").length === 32, {
    message: "must be 32 random bytes in base64 (44 characters); re-enrol to get a fresh one",
  });

export const ZAgentConfig = z.object({
  serverUrl: ZServerUrl,
  hostId: z.string().trim().min(1, "is empty").max(128),
  agentToken: z.string().trim().min(1, "is empty").max(256),
  secretsKey: ZSecretsKey,
  secretsFile: z.string().trim().min(1, "is empty"),
  spoolDir: z.string().trim().min(1, "is empty"),
  resticPath: z.string().trim().min(1).nullable().optional(),
  tlsPinSha256: ZTlsPin.nullable().optional(),
});
export type AgentConfig = z.infer<typeof ZAgentConfig>;

export class ConfigError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = "ConfigError";
  }
}

export class ConfigMissingError extends ConfigError {
  constructor(path: string) {
    super(
      path,
      "no agent config here. Enrol first: restic-manager-agent enroll --server URL --token TOKEN (or pass --config PATH)",
    );
    this.name = "ConfigMissingError";
  }
}

/** Validates an already-parsed config object; every problem names its field. */
export function validateConfig(path: string, value: unknown): AgentConfig {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(path, "expected a YAML mapping of settings (serverUrl, hostId, agentToken, ...)");
  }
  const parsed = ZAgentConfig.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.join(".") || "(root)";
      const message = issue.code === "invalid_type" && issue.input === undefined ? "is missing" : issue.message;
      return `${field} ${message}`;
    });
    throw new ConfigError(path, `invalid agent config: ${problems.join("; ")}`);
  }
  return parsed.data;
}

export function loadConfig(path: string): AgentConfig {
  if (!existsSync(path)) throw new ConfigMissingError(path);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(path, `cannot read: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new ConfigError(path, `not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  return validateConfig(path, value);
}

/** True when group or others may read the file (POSIX only). */
export function isWorldReadable(path: string): boolean {
  if (process.platform === "win32") return false;
  return (statSync(path).mode & 0o077) !== 0;
}

const HEADER = [
  " restic-manager agent configuration, written by `restic-manager-agent enroll`.",
  " Keep this file 0600: agentToken is this host's credential towards the server.",
  " Repository credentials are not here; they live encrypted in secretsFile.",
].join("\n");

const SECRETS_KEY_COMMENT = [
  " AES-256-GCM key of secretsFile. It sits beside agentToken on purpose: whoever can read this",
  " file can already act as this host towards the server (and receive the repository",
  " credentials), so the key adds no weaker link. It keeps the password out of plaintext files,",
  " backups of /etc and casual greps.",
].join("\n");

export function renderConfig(config: AgentConfig): string {
  const plain: Record<string, unknown> = {
    serverUrl: config.serverUrl,
    hostId: config.hostId,
    agentToken: config.agentToken,
    secretsKey: config.secretsKey,
    secretsFile: config.secretsFile,
    spoolDir: config.spoolDir,
    resticPath: config.resticPath ?? null,
    tlsPinSha256: config.tlsPinSha256 ?? null,
  };
  const doc = new Document(plain);
  doc.commentBefore = HEADER;
  const contents = doc.contents as unknown as { items: { key: unknown }[] };
  for (const pair of contents.items) {
    if (!isScalar(pair.key)) continue;
    if (pair.key.value === "secretsKey") pair.key.commentBefore = SECRETS_KEY_COMMENT;
    if (pair.key.value === "resticPath") pair.key.commentBefore = " null: look for restic on PATH.";
    if (pair.key.value === "tlsPinSha256") {
      pair.key.commentBefore = " SHA-256 of the server's TLS leaf certificate; when set, it replaces CA validation.";
    }
  }
  return doc.toString();
}

/** Validates, then writes atomically with mode 0600. */
export function saveConfig(path: string, config: AgentConfig): void {
  const valid = validateConfig(path, config);
  writeFileAtomic(path, renderConfig(valid), 0o600);
}
