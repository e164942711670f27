/**
 * File-descriptor limits. Node cannot call setrlimit, so the simulator reads its limits from
 * /proc/self/limits and, when the soft limit is too low for N sockets but the hard limit allows
 * it, the CLI re-executes itself under `sh -c 'ulimit -n <n>; exec ...'`. When even the hard
 * limit is too low it says so and what to run.
 */
import { readFileSync } from "node:fs";

export interface FdLimit {
  soft: number;
  hard: number;
}

export function readFdLimit(): FdLimit | null {
  try {
    const text = readFileSync("/proc/self/limits", "utf8");
    const line = text.split("\n").find((l) => l.startsWith("Max open files"));
    const m = line?.match(/Max open files\s+(\S+)\s+(\S+)/);
    if (!m) return null;
    const num = (s: string | undefined) => (s === "unlimited" ? Number.POSITIVE_INFINITY : Number(s));
    return { soft: num(m[1]), hard: num(m[2]) };
  } catch {
    return null;
  }
}

/** Descriptors needed for N agent sockets plus headroom (stdio, libuv, HTTP clients). */
export const fdsNeeded = (agents: number) => agents + 256;

export type FdVerdict =
  | { ok: true; limit: FdLimit | null }
  | { ok: false; canRaise: true; limit: FdLimit; want: number }
  | { ok: false; canRaise: false; limit: FdLimit; want: number; advice: string };

export function checkFdLimit(agents: number): FdVerdict {
  const limit = readFdLimit();
  const want = fdsNeeded(agents);
  if (!limit || limit.soft >= want) return { ok: true, limit };
  if (limit.hard >= want) return { ok: false, canRaise: true, limit, want };
  return {
    ok: false,
    canRaise: false,
    limit,
    want,
    advice:
      `${agents} agents need about ${want} file descriptors but this process may open at most ${limit.soft} ` +
      `(hard limit ${limit.hard}); Node cannot raise a hard limit. As root run ` +
      `\`prlimit --pid $$ --nofile=${want}:${want}\` on the shell first, or start it as ` +
      `\`sudo prlimit --nofile=${want}:${want} -- sudo -u $USER <command>\`, or raise nofile in ` +
      "/etc/security/limits.conf (or LimitNOFILE= for a systemd unit). The console needs the same headroom.",
  };
}
