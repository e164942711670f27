import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type ServerPayload, ZScheduleSet } from "@restic-manager/protocol";
import { Cron } from "croner";
import { writeFileAtomic } from "./fs-atomic.js";
import { type Logger, silentLogger } from "./log.js";

/** The complete schedule set the server sends in `schedule.set`. */
export type ScheduleSet = ServerPayload<"schedule.set">;

/** One fire of a schedule: the slot is the cron time, not the moment the timer ran. */
export interface ScheduleFire {
  scheduleId: string;
  slotAt: number;
  version: number;
}

export interface SchedulerStatus {
  /** Version of the armed set; null before any set was applied. */
  version: number | null;
  timezone: string | null;
  armed: { scheduleId: string; cron: string; next: number | null }[];
}

export interface SchedulerOptions {
  /** Called once per slot of an armed schedule. Must not throw (a throw is logged). */
  onFire: (fire: ScheduleFire) => void;
  log?: Logger;
}

interface ArmedJob {
  scheduleId: string;
  cron: string;
  job: Cron;
  /** The slot croner is waiting for (epoch ms, whole seconds); null when there is none. */
  expected: number | null;
  /** The last slot reported, so one slot is never reported twice. */
  lastSlot: number;
}

/** The file the last `schedule.set` is kept in, so a restarted agent fires before it reconnects. */
export const schedulesFileFor = (stateDir: string) => join(stateDir, "schedules.json");

/**
 * Arms the host's backup schedules locally (one croner job per enabled schedule, in the set's
 * time zone) and reports each slot through `onFire`. It never runs anything itself: the server
 * turns a fire into backup jobs and sends `command.run`.
 */
export class Scheduler {
  readonly #onFire: (fire: ScheduleFire) => void;
  readonly #log: Logger;
  #jobs: ArmedJob[] = [];
  #version: number | null = null;
  #timezone: string | null = null;

  constructor(options: SchedulerOptions) {
    this.#onFire = options.onFire;
    this.#log = options.log ?? silentLogger;
  }

  /**
   * Replaces whatever was armed with `set`. Disabled schedules are not armed. A schedule whose
   * cron does not parse (or never matches again) is skipped and named in the returned error;
   * the others are armed all the same. An unknown time zone arms nothing.
   */
  apply(set: ScheduleSet): { error: string | null } {
    this.stop();
    this.#version = set.version;
    this.#timezone = set.timezone;

    const zoneError = timeZoneError(set.timezone);
    if (zoneError) {
      const error = `time zone "${set.timezone}" is unknown on this host (${zoneError}); no schedule armed`;
      this.#log.error(`schedule set version ${set.version}: ${error}`);
      return { error };
    }

    const problems: string[] = [];
    for (const schedule of set.schedules) {
      if (!schedule.enabled) continue;
      try {
        this.#jobs.push(this.#arm(schedule.scheduleId, schedule.cron, set.timezone, set.version));
      } catch (error) {
        problems.push(`schedule ${schedule.scheduleId} (cron "${schedule.cron}"): ${(error as Error).message}`);
      }
    }
    const disabled = set.schedules.filter((s) => !s.enabled).length;
    this.#log.info(
      `armed schedule set version ${set.version} in ${set.timezone}: ${this.#jobs.length} armed, ${disabled} disabled${problems.length ? `, ${problems.length} not armed` : ""}`,
    );
    for (const problem of problems) this.#log.error(`not armed: ${problem}`);
    return { error: problems.length ? `not armed: ${problems.join("; ")}` : null };
  }

  /** Stops every armed job (agent shutdown, or before a new set is armed). */
  stop(): void {
    const jobs = this.#jobs;
    this.#jobs = [];
    for (const armed of jobs) armed.job.stop();
  }

  status(): SchedulerStatus {
    return {
      version: this.#version,
      timezone: this.#timezone,
      armed: this.#jobs.map(({ scheduleId, cron, job }) => ({
        scheduleId,
        cron,
        next: job.nextRun()?.getTime() ?? null,
      })),
    };
  }

  #arm(scheduleId: string, cron: string, timezone: string, version: number): ArmedJob {
    const job = newCron(cron, timezone);
    if (!job.nextRun()) {
      job.stop();
      throw new Error("the cron never matches a future time");
    }
    const armed: ArmedJob = { scheduleId, cron, job, expected: null, lastSlot: 0 };
    // The callback cannot run before this returns (croner waits on a timer).
    job.schedule(() => this.#fired(armed, version));
    armed.expected = job.nextRun()?.getTime() ?? null;
    return armed;
  }

  #fired(armed: ArmedJob, version: number): void {
    // A job replaced by apply() may still be inside croner's trigger; it reports nothing.
    if (!this.#jobs.includes(armed)) return;
    const now = Date.now();
    // croner fires once `now` has reached the slot it was waiting for, possibly late (a busy
    // box, a suspended VM). That slot is the one to report, not the time the timer ran.
    let slotAt = armed.expected;
    if (slotAt === null || slotAt > now) slotAt = armed.job.previousRuns(1, new Date(now + 1))[0]?.getTime() ?? null;
    // croner looks for its next slot after the trigger time; keep in step with it.
    armed.expected = armed.job.nextRun(armed.job.currentRun() ?? new Date(now))?.getTime() ?? null;
    if (slotAt === null || slotAt <= armed.lastSlot) {
      this.#log.debug(`schedule ${armed.scheduleId}: ignored a repeated trigger at ${new Date(now).toISOString()}`);
      return;
    }
    armed.lastSlot = slotAt;
    try {
      this.#onFire({ scheduleId: armed.scheduleId, slotAt, version });
    } catch (error) {
      this.#log.error(`schedule ${armed.scheduleId}: reporting the fire failed: ${(error as Error).message}`);
    }
  }
}

/** A croner job, not scheduled yet. Protocol: 5 fields, or 6 with seconds first; croner's defaults otherwise. */
function newCron(cron: string, timezone: string): Cron {
  return new Cron(cron, { timezone, mode: "5-or-6-parts", unref: true });
}

export interface ScheduleOutlook {
  scheduleId: string;
  cron: string;
  enabled: boolean;
  /** Next slot (epoch ms) from `from`; null when disabled or not armable. */
  next: number | null;
  /** Why the schedule cannot be armed; null when it can (or is disabled). */
  error: string | null;
}

/**
 * What arming `set` would do, without arming it: each schedule's next slot or the reason it
 * cannot be armed (`restic-manager-agent status` reads the stored set with this).
 */
export function scheduleOutlook(set: ScheduleSet, from = new Date()): ScheduleOutlook[] {
  const zoneError = timeZoneError(set.timezone);
  return set.schedules.map(({ scheduleId, cron, enabled }) => {
    if (!enabled) return { scheduleId, cron, enabled, next: null, error: null };
    if (zoneError) return { scheduleId, cron, enabled, next: null, error: `unknown time zone: ${zoneError}` };
    try {
      const next = newCron(cron, set.timezone).nextRun(from)?.getTime() ?? null;
      return { scheduleId, cron, enabled, next, error: next === null ? "the cron never matches a future time" : null };
    } catch (error) {
      return { scheduleId, cron, enabled, next: null, error: (error as Error).message };
    }
  });
}

function timeZoneError(timezone: string): string | null {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Stores the set (mode 0600, atomically) so a restarted agent re-arms it before reconnecting. */
export function saveScheduleSet(path: string, set: ScheduleSet): void {
  writeFileAtomic(path, `${JSON.stringify(set, null, 2)}\n`, 0o600);
}

/** The stored set; null when there is none. Throws when the file is unreadable or not a valid set. */
export function loadScheduleSet(path: string): ScheduleSet | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = ZScheduleSet.shape.payload.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path} is not a schedule set: ${issue?.path.join(".") || "(root)"}: ${issue?.message}`);
  }
  return parsed.data;
}
