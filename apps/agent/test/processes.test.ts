import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ProcessRegistry, processGroupAlive, procStat } from "../src/restic/processes.js";
import { tempDir } from "./helpers/config.js";

let tmp: ReturnType<typeof tempDir>;
const children: number[] = [];

beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => {
  for (const pid of children.splice(0)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  tmp.cleanup();
});

/** A process group (own session) whose members ignore SIGINT and SIGTERM: only SIGKILL ends it. */
function stubbornGroup() {
  const child = spawn("sh", ["-c", 'trap "" INT TERM; sleep 30 & wait; sleep 30'], { detached: true, stdio: "ignore" });
  children.push(child.pid!);
  return child.pid!;
}

const bootId = () => readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();

describe("restic process registry", () => {
  it("records running restic pids in a 0600 file and removes it when none is left", () => {
    const path = join(tmp.dir, "restic-processes.json");
    const registry = new ProcessRegistry(path);
    registry.add(process.pid, "job-1");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const record = JSON.parse(readFileSync(path, "utf8"));
    expect(record).toEqual({
      version: 1,
      processes: [
        {
          pid: process.pid,
          jobId: "job-1",
          startTicks: procStat(process.pid)!.startTicks,
          agentPid: process.pid,
          startedAt: expect.any(Number),
          bootId: bootId(),
        },
      ],
    });
    registry.remove(process.pid);
    expect(existsSync(path)).toBe(false);
  });

  it("escalates SIGINT -> SIGTERM -> SIGKILL on a leftover group that ignores the first two", async () => {
    const pid = stubbornGroup();
    await new Promise((r) => setTimeout(r, 200));
    const path = join(tmp.dir, "restic-processes.json");
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        processes: [{ pid, jobId: "j", startTicks: procStat(pid)!.startTicks, agentPid: 1, startedAt: 1 }],
      }),
    );
    const started = Date.now();
    const reaped = await new ProcessRegistry(path).reapLeftovers({ termAfterMs: 100, killAfterMs: 400 });
    expect(reaped.map((e) => e.jobId)).toEqual(["j"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(processGroupAlive(pid)).toBe(false);
    expect(existsSync(path)).toBe(false);
  });

  it("leaves alone pids recorded before a reboot or now used by another process", async () => {
    const a = stubbornGroup();
    const b = stubbornGroup();
    await new Promise((r) => setTimeout(r, 200));
    const path = join(tmp.dir, "restic-processes.json");
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        processes: [
          {
            pid: a,
            jobId: "before-reboot",
            startTicks: procStat(a)!.startTicks,
            agentPid: 1,
            startedAt: 1,
            bootId: "x",
          },
          { pid: b, jobId: "reused", startTicks: "12345", agentPid: 1, startedAt: 1 },
        ],
      }),
    );
    expect(await new ProcessRegistry(path).reapLeftovers({ termAfterMs: 50, killAfterMs: 100 })).toEqual([]);
    expect(processGroupAlive(a)).toBe(true);
    expect(processGroupAlive(b)).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it("ignores an unreadable record", async () => {
    const path = join(tmp.dir, "restic-processes.json");
    writeFileSync(path, "{not json");
    expect(await new ProcessRegistry(path).reapLeftovers()).toEqual([]);
    expect(existsSync(path)).toBe(false);
  });
});
