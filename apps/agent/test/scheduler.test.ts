import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AgentWireMessage } from "@restic-manager/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Agent, createAgent, stateDirFor } from "../src/agent.js";
import { Backoff } from "../src/backoff.js";
import type { AgentContext } from "../src/context.js";
import { dispatchServerMessage } from "../src/handlers/index.js";
import { reportScheduleFire } from "../src/handlers/schedule-set.js";
import { hostTimeZone } from "../src/host.js";
import { createLogger, type Logger, silentLogger } from "../src/log.js";
import {
  loadScheduleSet,
  type ScheduleFire,
  Scheduler,
  type ScheduleSet,
  saveScheduleSet,
  scheduleOutlook,
  schedulesFileFor,
} from "../src/scheduler.js";
import { statusReport } from "../src/status.js";
import { tempDir, testConfig, writeTestConfig } from "./helpers/config.js";
import { type FakeServer, startFakeServer } from "./helpers/fake-server.js";

const ID_A = "01JD2Z8Q4W5X6Y7Z8A9B0C1D2E";
const ID_B = "01JD2Z8Q4W5X6Y7Z8A9B0C1D2H";
const ID_C = "01JD2Z8Q4W5X6Y7Z8A9B0C1D2J";
const GROUPS = [{ id: "01JD2Z8Q4W5X6Y7Z8A9B0C1D2F", name: "etc" }];
const isPosix = process.platform !== "win32";

function scheduleSet(
  version: number,
  schedules: { id: string; cron: string; enabled?: boolean }[],
  timezone = "UTC",
): ScheduleSet {
  return {
    version,
    timezone,
    schedules: schedules.map((s) => ({ scheduleId: s.id, cron: s.cron, enabled: s.enabled ?? true, groups: GROUPS })),
  };
}

function collectingScheduler(log: Logger = silentLogger) {
  const fires: (ScheduleFire & { receivedAt: number })[] = [];
  const scheduler = new Scheduler({ onFire: (fire) => fires.push({ ...fire, receivedAt: Date.now() }), log });
  return { scheduler, fires };
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const schedulers: Scheduler[] = [];
let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => {
  vi.useRealTimers();
  for (const s of schedulers.splice(0)) s.stop();
  tmp.cleanup();
});
const track = <T extends { scheduler: Scheduler }>(x: T) => {
  schedulers.push(x.scheduler);
  return x;
};

describe("scheduler (real timers)", () => {
  it("fires an armed per-second cron once per whole-second slot, in order; a disabled one never fires", async () => {
    const { scheduler, fires } = track(collectingScheduler());
    const { error } = scheduler.apply(
      scheduleSet(3, [
        { id: ID_A, cron: "*/1 * * * * *" },
        { id: ID_B, cron: "*/1 * * * * *", enabled: false },
      ]),
    );
    expect(error).toBeNull();
    expect(scheduler.status().armed.map((a) => a.scheduleId)).toEqual([ID_A]);

    await until(() => fires.length >= 3, "three fires");
    scheduler.stop();
    const settled = fires.length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(fires.length, "no fire after stop()").toBe(settled);

    expect(fires.every((f) => f.scheduleId === ID_A && f.version === 3)).toBe(true);
    const slots = fires.map((f) => f.slotAt);
    for (const slot of slots) expect(slot % 1000).toBe(0);
    // Strictly increasing: never two fires for one slot, never out of order.
    for (let i = 1; i < slots.length; i++) expect(slots[i]).toBeGreaterThan(slots[i - 1] as number);
    for (const f of fires) {
      // The slot is the cron time the fire is for: never after it was reported, not long before.
      expect(f.slotAt).toBeLessThanOrEqual(f.receivedAt);
      expect(f.receivedAt - f.slotAt).toBeLessThan(5_000);
    }
  });
});

describe("scheduler (fake clock)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  it("reports the slot croner waited for, not the time a late timer ran", async () => {
    vi.setSystemTime(new Date("2025-01-15T10:00:59.000Z"));
    const { scheduler, fires } = track(collectingScheduler());
    scheduler.apply(scheduleSet(1, [{ id: ID_A, cron: "0 * * * * *" }]));
    expect(scheduler.status().armed[0]?.next).toBe(Date.parse("2025-01-15T10:01:00.000Z"));

    // The box stalls: the clock moves on 3.7 s without the timer running, then it runs late.
    vi.setSystemTime(new Date("2025-01-15T10:01:02.700Z"));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(fires.map((f) => new Date(f.slotAt).toISOString())).toEqual(["2025-01-15T10:01:00.000Z"]);
    expect(Date.now()).toBeGreaterThan(Date.parse("2025-01-15T10:01:03.000Z"));

    await vi.advanceTimersByTimeAsync(60_000);
    expect(fires.map((f) => new Date(f.slotAt).toISOString())).toEqual([
      "2025-01-15T10:01:00.000Z",
      "2025-01-15T10:02:00.000Z",
    ]);
  });

  it("never reports one slot twice and keeps order over many slots", async () => {
    vi.setSystemTime(new Date("2025-03-01T00:00:00.250Z"));
    const { scheduler, fires } = track(collectingScheduler());
    scheduler.apply(scheduleSet(1, [{ id: ID_A, cron: "*/1 * * * * *" }]));
    await vi.advanceTimersByTimeAsync(120_000);
    const slots = fires.map((f) => f.slotAt);
    expect(new Set(slots).size).toBe(slots.length);
    expect(slots).toEqual([...slots].sort((a, b) => a - b));
    expect(slots[0]).toBe(Date.parse("2025-03-01T00:00:01.000Z"));
    expect(slots.length).toBeGreaterThanOrEqual(119);
  });

  it("apply() replaces the armed set: the old schedule stops firing, the new one fires with its version", async () => {
    vi.setSystemTime(new Date("2025-01-15T10:00:00.500Z"));
    const { scheduler, fires } = track(collectingScheduler());
    scheduler.apply(scheduleSet(1, [{ id: ID_A, cron: "*/1 * * * * *" }]));
    await vi.advanceTimersByTimeAsync(3_000);
    expect(fires.filter((f) => f.scheduleId === ID_A).length).toBeGreaterThanOrEqual(2);

    const replacedAt = Date.now();
    scheduler.apply(scheduleSet(2, [{ id: ID_B, cron: "*/1 * * * * *" }]));
    expect(scheduler.status()).toMatchObject({ version: 2, armed: [{ scheduleId: ID_B }] });
    await vi.advanceTimersByTimeAsync(5_000);
    const after = fires.filter((f) => f.receivedAt > replacedAt);
    expect(after.length).toBeGreaterThanOrEqual(4);
    expect(after.every((f) => f.scheduleId === ID_B && f.version === 2)).toBe(true);

    // An empty set disarms everything.
    scheduler.apply(scheduleSet(3, []));
    const count = fires.length;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(fires.length).toBe(count);
    expect(scheduler.status()).toEqual({ version: 3, timezone: "UTC", armed: [] });
  });

  it("skips a cron that does not parse and names it in the error; the others are armed", async () => {
    vi.setSystemTime(new Date("2025-01-15T10:00:00.500Z"));
    const { scheduler, fires } = track(collectingScheduler());
    const { error } = scheduler.apply(
      scheduleSet(4, [
        { id: ID_A, cron: "not a cron" },
        { id: ID_B, cron: "*/1 * * * * *" },
        // 7 fields (years) are outside the protocol's cron syntax.
        { id: ID_C, cron: "0 0 2 * * * 2030" },
      ]),
    );
    expect(error).toContain(ID_A);
    expect(error).toContain('"not a cron"');
    expect(error).toContain(ID_C);
    expect(error).not.toContain(ID_B);
    expect(scheduler.status().armed.map((a) => a.scheduleId)).toEqual([ID_B]);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(fires.length).toBeGreaterThan(0);
    expect(fires.every((f) => f.scheduleId === ID_B)).toBe(true);
  });

  it("arms nothing in a time zone the host does not know", () => {
    const { scheduler } = track(collectingScheduler());
    const { error } = scheduler.apply(scheduleSet(5, [{ id: ID_A, cron: "0 2 * * *" }], "Mars/Olympus_Mons"));
    expect(error).toMatch(/time zone "Mars\/Olympus_Mons" is unknown/);
    expect(scheduler.status().armed).toEqual([]);
  });

  it("arms each schedule in the set's time zone", () => {
    const nextIn = (timezone: string) => {
      const { scheduler } = track(collectingScheduler());
      scheduler.apply(scheduleSet(1, [{ id: ID_A, cron: "0 0 2 * * *" }], timezone));
      return scheduler.status().armed[0]?.next;
    };
    // Winter: Berlin is UTC+1.
    vi.setSystemTime(new Date("2025-01-15T12:00:00Z"));
    expect(nextIn("UTC")).toBe(Date.parse("2025-01-16T02:00:00Z"));
    expect(nextIn("Europe/Berlin")).toBe(Date.parse("2025-01-16T01:00:00Z"));
    // Summer: UTC+2.
    vi.setSystemTime(new Date("2025-07-15T12:00:00Z"));
    expect(nextIn("UTC")! - nextIn("Europe/Berlin")!).toBe(2 * 3600_000);
    expect(nextIn("America/New_York")).toBe(Date.parse("2025-07-16T06:00:00Z"));

    // The same maths without arming (status uses it).
    const set = scheduleSet(1, [{ id: ID_A, cron: "0 2 * * *" }], "Europe/Berlin");
    expect(scheduleOutlook(set, new Date("2025-01-15T12:00:00Z"))[0]?.next).toBe(Date.parse("2025-01-16T01:00:00Z"));
  });
});

describe("schedule.set handler and persistence", () => {
  function handlerContext(stateDir: string) {
    const sent: { type: string; payload: Record<string, unknown> }[] = [];
    const { scheduler, fires } = track(collectingScheduler());
    const ctx = {
      stateDir,
      scheduler,
      log: silentLogger,
      send: (wire: AgentWireMessage) => {
        sent.push(JSON.parse(wire));
        return true;
      },
    } as unknown as AgentContext;
    return { ctx, sent, scheduler, fires };
  }

  it("stores the set in schedules.json (0600), arms it and acks the version", async () => {
    const { ctx, sent, scheduler } = handlerContext(tmp.dir);
    const set = scheduleSet(7, [
      { id: ID_A, cron: "0 2 * * *" },
      { id: ID_B, cron: "*/10 * * * * *", enabled: false },
    ]);
    await dispatchServerMessage({ type: "schedule.set", payload: set }, ctx);

    const path = join(tmp.dir, "schedules.json");
    expect(loadScheduleSet(path)).toEqual(set);
    if (isPosix) expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(sent).toEqual([{ type: "schedule.ack", payload: { version: 7, error: null } }]);
    expect(scheduler.status()).toMatchObject({ version: 7, timezone: "UTC", armed: [{ scheduleId: ID_A }] });
  });

  it("acks with the schedules it could not arm", async () => {
    const { ctx, sent } = handlerContext(tmp.dir);
    await dispatchServerMessage(
      {
        type: "schedule.set",
        payload: scheduleSet(8, [
          { id: ID_A, cron: "61 * * * *" },
          { id: ID_B, cron: "0 2 * * *" },
        ]),
      },
      ctx,
    );
    expect(sent[0]?.type).toBe("schedule.ack");
    expect(sent[0]?.payload.version).toBe(8);
    expect(sent[0]?.payload.error).toContain(ID_A);
    expect(sent[0]?.payload.error).not.toContain(ID_B);
  });

  it("still arms a set it cannot store, and says so in the ack", async () => {
    const notADir = join(tmp.dir, "file");
    writeFileSync(notADir, "x");
    const { ctx, sent, scheduler } = handlerContext(notADir);
    await dispatchServerMessage(
      { type: "schedule.set", payload: scheduleSet(9, [{ id: ID_A, cron: "0 2 * * *" }]) },
      ctx,
    );
    expect(scheduler.status().armed.map((a) => a.scheduleId)).toEqual([ID_A]);
    expect(sent[0]?.payload.version).toBe(9);
    expect(sent[0]?.payload.error).toMatch(/cannot store the schedules in .*schedules\.json/);
  });

  it("sends a fire to the console when connected and drops it (with an info line) when not", () => {
    const lines: string[] = [];
    const log = createLogger("test", { write: (line) => lines.push(line) });
    const sent: string[] = [];
    const fire = { scheduleId: ID_A, slotAt: Date.parse("2025-01-16T01:00:00Z"), version: 7 };

    expect(reportScheduleFire(fire, { log, send: (w) => sent.push(w) > 0 })).toBe(true);
    expect(sent.map((w) => JSON.parse(w))).toEqual([{ type: "schedule.fire", payload: fire }]);

    expect(reportScheduleFire(fire, { log, send: () => false })).toBe(false);
    expect(lines.at(-1)).toContain(
      `info  test: schedule ${ID_A} slot 2025-01-16T01:00:00.000Z fired while the console is unreachable; the console queues a catch-up run`,
    );
  });

  it("loads a stored set; a missing file is no set; a corrupt or invalid one throws with the path", () => {
    const path = schedulesFileFor(tmp.dir);
    expect(loadScheduleSet(path)).toBeNull();
    const set = scheduleSet(3, [{ id: ID_A, cron: "0 2 * * *" }], "Europe/Berlin");
    saveScheduleSet(path, set);
    expect(loadScheduleSet(path)).toEqual(set);
    writeFileSync(path, "{not json");
    expect(() => loadScheduleSet(path)).toThrow(/schedules\.json is not valid JSON/);
    writeFileSync(path, JSON.stringify({ ...set, timezone: 5 }));
    expect(() => loadScheduleSet(path)).toThrow(/schedules\.json is not a schedule set: timezone/);
  });
});

describe("agent wiring", () => {
  let agent: Agent | null = null;
  let server: FakeServer | null = null;
  let lines: string[];
  beforeEach(() => {
    lines = [];
  });
  afterEach(async () => {
    await agent?.stop();
    await server?.close();
    agent = null;
    server = null;
  });

  function startAgent(serverUrl = "http://127.0.0.1:9") {
    const config = testConfig(tmp.dir, { serverUrl });
    agent = createAgent({
      config,
      log: createLogger("test", { level: "debug", write: (line) => lines.push(line) }),
      backoff: new Backoff({ baseMs: 50, maxMs: 200 }),
      locate: async () => ({ version: "0.17.0", path: "/usr/bin/restic", error: null }),
    });
    void agent.run();
    return { config, agent };
  }

  it("re-arms the stored set on start and fires while the console is unreachable, without spooling", async () => {
    const config = testConfig(tmp.dir);
    saveScheduleSet(
      schedulesFileFor(stateDirFor(config)),
      scheduleSet(11, [{ id: ID_A, cron: "*/1 * * * * *" }], "Europe/Berlin"),
    );
    const { agent } = startAgent();
    await until(() => agent.context.scheduler.status().version === 11, "the stored set to be armed");
    expect(agent.context.scheduler.status()).toMatchObject({
      timezone: "Europe/Berlin",
      armed: [{ scheduleId: ID_A }],
    });
    await until(
      () =>
        lines.some((l) => l.includes(`schedule ${ID_A} slot `) && l.includes("fired while the console is unreachable")),
      "a dropped fire",
    );
    // Never a local run, never a spooled fire.
    expect(agent.context.runningJobs.size).toBe(0);
    expect(JSON.stringify(readDirTree(config.spoolDir))).not.toContain("schedule.fire");
  });

  it("ignores a corrupt stored set with an error line and still connects", async () => {
    const config = testConfig(tmp.dir);
    writeFileSync(schedulesFileFor(stateDirFor(config)), "{ this is not json");
    const { agent } = startAgent();
    await until(() => lines.some((l) => l.includes("ignored the stored schedules")), "the corrupt-file error");
    expect(lines.find((l) => l.includes("ignored the stored schedules"))).toMatch(
      /error.*schedules\.json is not valid JSON/,
    );
    expect(agent.context.scheduler.status()).toEqual({ version: null, timezone: null, armed: [] });
  });

  it("says hello with its time zone, acks schedule.set and sends schedule.fire for each slot", async () => {
    server = await startFakeServer();
    const { config } = startAgent(server.url);
    const hello = await server.waitFor("hello");
    expect(hello.payload.timezone).toBe(hostTimeZone());

    server.sessions[0]!.send("schedule.set", scheduleSet(12, [{ id: ID_A, cron: "*/1 * * * * *" }]));
    const ack = await server.waitFor("schedule.ack");
    expect(ack.payload).toEqual({ version: 12, error: null });
    expect(loadScheduleSet(schedulesFileFor(stateDirFor(config)))?.version).toBe(12);

    const fire = await server.waitFor("schedule.fire", { timeoutMs: 5_000 });
    expect(fire.payload.scheduleId).toBe(ID_A);
    expect(fire.payload.version).toBe(12);
    expect(fire.payload.slotAt % 1000).toBe(0);
    expect(Math.abs(Date.now() - fire.payload.slotAt)).toBeLessThan(10_000);
    // The server decides what runs: no job starts on the agent from a fire.
    expect(server.sessions[0]!.messages.some((m) => m.type === "job.started")).toBe(false);
  });
});

describe("host time zone and status", () => {
  it("reports the runtime's IANA zone, UTC when it has none or an unusable one", () => {
    expect(hostTimeZone(() => "Europe/Berlin")).toBe("Europe/Berlin");
    expect(hostTimeZone(() => "")).toBe("UTC");
    expect(hostTimeZone(() => undefined)).toBe("UTC");
    expect(hostTimeZone(() => "Mars/Olympus_Mons")).toBe("UTC");
    expect(hostTimeZone(() => "bad zone; rm -rf")).toBe("UTC");
    expect(
      hostTimeZone(() => {
        throw new Error("no ICU");
      }),
    ).toBe("UTC");
    expect(hostTimeZone()).toMatch(/^[A-Za-z0-9_+\-/]+$/);
  });

  it("status shows the stored schedule version and each schedule's next fire", async () => {
    const { path, config } = writeTestConfig(tmp.dir);
    expect(await statusReport(path)).toMatch(/schedules: .*schedules\.json: none yet/);

    saveScheduleSet(
      schedulesFileFor(stateDirFor(config)),
      scheduleSet(
        7,
        [
          { id: ID_A, cron: "0 2 * * *" },
          { id: ID_B, cron: "0 3 * * *", enabled: false },
          { id: ID_C, cron: "99 * * * *" },
        ],
        "Europe/Berlin",
      ),
    );
    const report = await statusReport(path);
    expect(report).toMatch(/schedules: .*version 7, time zone Europe\/Berlin, 1 of 3 armed/);
    expect(report).toMatch(
      new RegExp(`schedule: +${ID_A} "0 2 \\* \\* \\*": next \\d{4}-\\d\\d-\\d\\d 02:00:00 Europe/Berlin \\(`),
    );
    expect(report).toMatch(new RegExp(`schedule: +${ID_B} "0 3 \\* \\* \\*": disabled`));
    expect(report).toMatch(new RegExp(`schedule: +${ID_C} "99 \\* \\* \\* \\*": NOT ARMED: `));

    writeFileSync(schedulesFileFor(stateDirFor(config)), "garbage");
    expect(await statusReport(path)).toMatch(/schedules: +UNREADABLE: .*not valid JSON/);
  });
});

function readDirTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    for (const name of readdirSync(dir, { recursive: true }) as string[]) {
      const path = join(dir, name);
      if (statSync(path).isFile()) out[name] = readFileSync(path, "utf8");
    }
  } catch {
    // no spool dir yet
  }
  return out;
}
