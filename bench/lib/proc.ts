/** Process accounting from /proc: resident memory and CPU time of a pid (Linux only). */
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second for utime/stime (`getconf CLK_TCK`; 100 on Linux everywhere we run). */
const CLK_TCK = 100;

export interface ProcSample {
  at: number;
  rssMb: number;
  /** utime + stime, seconds. */
  cpuSeconds: number;
}

export function sampleProc(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the ")" that closes the command name: state is field 3; utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
    return { at: Date.now(), rssMb: kb / 1024, cpuSeconds: (utime + stime) / CLK_TCK };
  } catch {
    return null;
  }
}

/** CPU used between two samples, as % of one core. */
export const cpuPercent = (a: ProcSample, b: ProcSample) =>
  b.at > a.at ? ((b.cpuSeconds - a.cpuSeconds) / ((b.at - a.at) / 1000)) * 100 : 0;

/** Samples a process every `everyMs`; `stop()` returns CPU % over the span, peak and last RSS. */
export function watchProc(pid: number, everyMs = 1000) {
  const first = sampleProc(pid);
  let last = first;
  let peakRssMb = first?.rssMb ?? 0;
  const timer = setInterval(() => {
    const s = sampleProc(pid);
    if (!s) return;
    last = s;
    peakRssMb = Math.max(peakRssMb, s.rssMb);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const end = sampleProc(pid) ?? last;
      if (end) peakRssMb = Math.max(peakRssMb, end.rssMb);
      return {
        seconds: first && end ? (end.at - first.at) / 1000 : 0,
        cpuPercent: first && end ? cpuPercent(first, end) : null,
        peakRssMb,
        rssMb: end?.rssMb ?? null,
      };
    },
  };
}

/** Boot time (epoch ms) from /proc/stat, to turn a process start time in ticks into wall time. */
export function bootTimeMs(): number {
  const btime = Number(readFileSync("/proc/stat", "utf8").match(/^btime (\d+)/m)?.[1]);
  return btime * 1000;
}

/** Start time of a process (epoch ms, 10 ms resolution) and whether it has exited (zombie/gone). */
export function procStart(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return bootTimeMs() + (Number(rest[19]) / CLK_TCK) * 1000;
  } catch {
    return null;
  }
}

export function procAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Direct children of a pid (all threads' children files). */
export function childrenOf(pid: number): number[] {
  try {
    const out: number[] = [];
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
    return out;
  } catch {
    return [];
  }
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
