import { execFile } from "node:child_process";
import { accessSync, constants, readFileSync, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import type { ResticInfo } from "@restic-manager/protocol";
import { writeFileAtomic } from "../fs-atomic.js";

/** The oldest restic the agent drives (Debian's 0.14); older ones lack the JSON we parse. */
export const MIN_RESTIC_VERSION = "0.14.0";

export interface LocateOptions {
  /** `resticPath` from the agent config; null or undefined searches PATH. */
  configuredPath?: string | null;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  timeoutMs?: number;
  /**
   * A file remembering the version of the binary last asked (by path, size, mtime and inode):
   * an agent that starts again next to the same restic skips `restic version` (~50 ms of its
   * start-up). A changed binary is asked again.
   */
  versionCache?: string;
}

interface CachedVersion {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  version: string;
}

function binaryIdentity(path: string): Omit<CachedVersion, "version"> | null {
  try {
    const st = statSync(path);
    return { path, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
  } catch {
    return null;
  }
}

function cachedVersion(file: string | undefined, id: Omit<CachedVersion, "version"> | null): string | null {
  if (!file || !id) return null;
  try {
    const c = JSON.parse(readFileSync(file, "utf8")) as Partial<CachedVersion>;
    const same = c.path === id.path && c.size === id.size && c.mtimeMs === id.mtimeMs && c.ino === id.ino;
    return same && typeof c.version === "string" && parseResticVersion(`restic ${c.version}`) ? c.version : null;
  } catch {
    return null;
  }
}

const executableNames = (platform: NodeJS.Platform, env: NodeJS.ProcessEnv) => {
  if (platform !== "win32") return ["restic"];
  const exts = (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";").filter(Boolean);
  return exts.map((ext) => `restic${ext.toLowerCase()}`);
};

function isExecutableFile(path: string, platform: NodeJS.Platform): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    if (platform !== "win32") accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First `restic` on PATH, or null. */
export function findOnPath(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string | null {
  const dirs = (env.PATH ?? env.Path ?? "").split(platform === "win32" ? ";" : delimiter).filter(Boolean);
  for (const dir of dirs) {
    for (const name of executableNames(platform, env)) {
      const candidate = join(dir, name);
      if (isExecutableFile(candidate, platform)) return candidate;
    }
  }
  return null;
}

/** "restic 0.14.0 compiled with go1.19.8 on linux/amd64" -> "0.14.0". */
export function parseResticVersion(output: string): string | null {
  const match = /^restic\s+v?(\d+\.\d+\.\d+[0-9A-Za-z.+-]*)/m.exec(output);
  return match?.[1] ?? null;
}

/** Compares dotted numeric versions; pre-release suffixes are ignored. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) =>
    v
      .split(/[^0-9.]/)[0]!
      .split(".")
      .map((n) => Number(n) || 0);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

const run = (file: string, args: string[], timeoutMs: number) =>
  new Promise<{ stdout: string; stderr: string; error: (Error & { code?: unknown }) | null }>((resolve) => {
    execFile(file, args, { timeout: timeoutMs, windowsHide: true, maxBuffer: 64 * 1024 }, (error, stdout, stderr) =>
      resolve({ stdout: String(stdout), stderr: String(stderr), error }),
    );
  });

/**
 * Finds restic (the configured path, else PATH) and asks its version. Never throws: a missing or
 * unusable restic comes back as `error`, which the server shows on the host.
 */
export async function locateRestic(options: LocateOptions = {}): Promise<ResticInfo> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const configured = options.configuredPath ?? null;

  let path: string;
  if (configured) {
    if (!isAbsolute(configured)) {
      return { version: null, path: null, error: `resticPath "${configured}" in the agent config must be absolute` };
    }
    if (!isExecutableFile(configured, platform)) {
      return {
        version: null,
        path: null,
        error: `resticPath ${configured} from the agent config is not an executable file; install restic there or fix resticPath`,
      };
    }
    path = configured;
  } else {
    const found = findOnPath(env, platform);
    if (!found) {
      return {
        version: null,
        path: null,
        error:
          "restic not found on PATH; install restic (e.g. apt-get install restic) or set resticPath in the agent config",
      };
    }
    path = found;
  }

  const id = binaryIdentity(path);
  const known = cachedVersion(options.versionCache, id);
  if (known) return withMinimum(known, path);

  const { stdout, stderr, error } = await run(path, ["version"], options.timeoutMs ?? 10_000);
  if (error) {
    const why = stderr.trim().split("\n")[0] || error.message;
    return { version: null, path, error: `\`${path} version\` failed: ${why}`.slice(0, 1024) };
  }
  const version = parseResticVersion(stdout);
  if (!version) {
    return {
      version: null,
      path,
      error: `cannot read a version from \`${path} version\`: ${stdout.trim().slice(0, 200)}`,
    };
  }
  if (options.versionCache && id) {
    try {
      writeFileAtomic(options.versionCache, JSON.stringify({ ...id, version } satisfies CachedVersion), 0o644);
    } catch {
      // Only a cache: the next start asks restic again.
    }
  }
  return withMinimum(version, path);
}

function withMinimum(version: string, path: string): ResticInfo {
  if (compareVersions(version, MIN_RESTIC_VERSION) < 0) {
    return {
      version,
      path,
      error: `restic ${version} is too old; restic-manager needs ${MIN_RESTIC_VERSION} or newer`,
    };
  }
  return { version, path, error: null };
}
