/**
 * The restic processes this agent started, recorded in a small state file. restic runs in its
 * own process group, so when the agent is SIGKILLed restic keeps running; the next agent start
 * reads the record and stops those groups before it connects, so a job the server marks
 * interrupted has no restic left behind that still holds the repository.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { z } from "zod";
import { writeFileAtomic } from "../fs-atomic.js";
import { type Logger, silentLogger } from "../log.js";

const ZRecord = z.object({
  version: z.literal(1),
  processes: z.array(
    z.object({
      pid: z.number().int().positive(),
      jobId: z.string(),
      /** Linux: the process start time from /proc/<pid>/stat, so a reused pid is never killed. */
      startTicks: z.string().nullable(),
      agentPid: z.number().int(),
      startedAt: z.number(),
      /** Linux boot id: after a reboot every recorded pid belongs to someone else. */
      bootId: z.string().nullable().optional(),
    }),
  ),
});

/** The kernel's boot id (Linux), or null. */
function bootId(): string | null {
  if (process.platform !== "linux") return null;
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return null;
  }
}
export type ProcessEntry = z.infer<typeof ZRecord>["processes"][number];

/** Sends `signal` to the process group `pgid` (Windows: the process tree). False when none is left. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (process.platform === "win32") {
    try {
      execFileSync("taskkill", ["/PID", String(pgid), "/T", "/F"], { stdio: "ignore", windowsHide: true });
      return true;
    } catch {
      return false;
    }
  }
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

interface ProcStat {
  state: string;
  pgrp: number;
  startTicks: string;
}

/** Fields of /proc/<pid>/stat (Linux); null when the process does not exist or this is not Linux. */
export function procStat(pid: number): ProcStat | null {
  if (process.platform !== "linux") return null;
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm (field 2) may contain spaces and parentheses: the fields after it start past the last ')'.
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0] ?? "?", pgrp: Number(rest[2]), startTicks: rest[19] ?? "" };
  } catch {
    return null;
  }
}

/** Whether any live (non-zombie) process is in group `pgid`. */
export function processGroupAlive(pgid: number): boolean {
  if (process.platform === "linux") {
    let entries: string[];
    try {
      entries = readdirSync("/proc");
    } catch {
      entries = [];
    }
    for (const name of entries) {
      if (!/^\d+$/.test(name)) continue;
      const stat = procStat(Number(name));
      if (stat && stat.pgrp === pgid && stat.state !== "Z" && stat.state !== "X") return true;
    }
    return false;
  }
  if (process.platform === "win32") return pidAlive(pgid);
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The record file plus the in-memory list it mirrors. */
export class ProcessRegistry {
  #entries: ProcessEntry[] = [];

  constructor(
    readonly path: string,
    private readonly log: Logger = silentLogger,
  ) {}

  get entries(): readonly ProcessEntry[] {
    return this.#entries;
  }

  add(pid: number, jobId: string): void {
    this.#entries.push({
      pid,
      jobId,
      startTicks: procStat(pid)?.startTicks ?? null,
      agentPid: process.pid,
      startedAt: Date.now(),
      bootId: bootId(),
    });
    this.#save();
  }

  remove(pid: number): void {
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((e) => e.pid !== pid);
    if (this.#entries.length !== before) this.#save();
  }

  #save(): void {
    try {
      if (this.#entries.length === 0) rmSync(this.path, { force: true });
      else writeFileAtomic(this.path, `${JSON.stringify({ version: 1, processes: this.#entries })}\n`, 0o600);
    } catch (error) {
      this.log.warn(`cannot record restic processes in ${this.path}: ${(error as Error).message}`);
    }
  }

  /**
   * Stops the restic process groups a previous agent process left running (it crashed or was
   * SIGKILLed), then clears the record. SIGINT first so restic removes its lock, SIGTERM to the
   * group after `termAfterMs`, SIGKILL after `killAfterMs`. Returns the entries it stopped.
   */
  async reapLeftovers(options: { termAfterMs?: number; killAfterMs?: number } = {}): Promise<ProcessEntry[]> {
    if (!existsSync(this.path)) return [];
    let leftovers: ProcessEntry[] = [];
    try {
      leftovers = ZRecord.parse(JSON.parse(readFileSync(this.path, "utf8"))).processes;
    } catch (error) {
      this.log.warn(`ignored an unreadable restic process record ${this.path}: ${(error as Error).message}`);
    }
    // Called once at start, before this process spawned anything: every entry is a predecessor's
    // (even one with this process's pid, e.g. an agent that is always pid 1 in a container).
    const boot = bootId();
    const ours = leftovers.filter((entry) => {
      if (entry.bootId && boot && entry.bootId !== boot) return false;
      if (!processGroupAlive(entry.pid)) return false;
      // A live leader with another start time is a different process that reused the pid (and
      // then the old group is gone, since a pid in use as a group id is never handed out).
      const stat = procStat(entry.pid);
      if (stat && entry.startTicks !== null && stat.startTicks !== entry.startTicks) return false;
      if (process.platform === "win32" && !isResticOnWindows(entry.pid)) return false;
      return true;
    });
    const termAfterMs = options.termAfterMs ?? 2_000;
    const killAfterMs = options.killAfterMs ?? 5_000;
    for (const entry of ours) {
      this.log.warn(
        `stopping restic (pid ${entry.pid}) left running by a previous agent process for job ${entry.jobId}`,
      );
      try {
        if (process.platform !== "win32") process.kill(entry.pid, "SIGINT");
      } catch {
        // the leader is gone; its group is signalled below
      }
    }
    const started = Date.now();
    let termSent = false;
    let pending = ours;
    while (pending.length > 0) {
      const elapsed = Date.now() - started;
      if (!termSent && elapsed >= termAfterMs) {
        termSent = true;
        for (const entry of pending) signalProcessGroup(entry.pid, "SIGTERM");
      }
      if (elapsed >= killAfterMs) {
        for (const entry of pending) signalProcessGroup(entry.pid, "SIGKILL");
        await sleep(100);
        break;
      }
      await sleep(50);
      pending = pending.filter((entry) => processGroupAlive(entry.pid));
    }
    this.#save();
    return ours;
  }
}

function isResticOnWindows(pid: number): boolean {
  try {
    const out = execFileSync("tasklist", ["/FI", `PID eq ${pid}`, "/FO", "CSV", "/NH"], { windowsHide: true });
    return out.toString().toLowerCase().includes("restic");
  } catch {
    return false;
  }
}
