/**
 * Cron expressions as the console and the agent read them: croner syntax (5 fields, or 6 with
 * seconds first), evaluated in the host's IANA time zone. The agent arms the same expressions
 * with the same library, so "next run" here is what the agent will do.
 */
import { Cron } from "croner";
import cronstrue from "cronstrue";
import { DomainError } from "./errors.js";

const MAX_CRON_LENGTH = 128;

/** A field-named validation error, so forms can put the message beside the right input. */
export class CronError extends DomainError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super("BAD_REQUEST", `${field}: ${message}`);
  }
}

export function assertTimeZone(timezone: string, field = "timezone"): string {
  try {
    new Intl.DateTimeFormat("en", { timeZone: timezone });
    return timezone;
  } catch {
    throw new CronError(field, `"${timezone}" is not an IANA time zone such as Europe/Berlin or UTC.`);
  }
}

/**
 * Parsed expressions by (expression, time zone). Parsing validates the zone through Intl and
 * walks the pattern (~0.3 ms); the maintenance ticker asks for the same few expressions for every
 * host, which on a 10k fleet was seconds of blocked event loop per pass. Only successes are kept;
 * croner's nextRun/previousRuns do not change a paused Cron, so one instance serves every caller.
 */
const parsed = new Map<string, { expr: string; cron: Cron }>();
const MAX_PARSED = 1000;

/** Parses `expr` or throws a CronError naming `field`. Returns the normalised expression. */
export function parseCron(expr: string, timezone: string, field = "cron"): { expr: string; cron: Cron } {
  const key = `${expr}\u0000${timezone}`;
  const hit = parsed.get(key);
  if (hit) return hit;
  const result = parseCronUncached(expr, timezone, field);
  if (parsed.size >= MAX_PARSED) parsed.clear();
  parsed.set(key, result);
  return result;
}

function parseCronUncached(expr: string, timezone: string, field: string): { expr: string; cron: Cron } {
  const normalised = expr.trim().replace(/\s+/g, " ");
  if (!normalised) throw new CronError(field, "enter a cron expression, e.g. 0 2 * * * for 02:00 every day.");
  if (normalised.length > MAX_CRON_LENGTH) throw new CronError(field, `at most ${MAX_CRON_LENGTH} characters.`);
  const fields = normalised.split(" ").length;
  if (fields < 5 || fields > 6) {
    throw new CronError(
      field,
      `expected 5 fields (minute hour day month weekday) or 6 with seconds first; got ${fields}.`,
    );
  }
  assertTimeZone(timezone);
  let cron: Cron;
  try {
    cron = new Cron(normalised, { timezone, paused: true });
  } catch (e) {
    throw new CronError(field, (e as Error).message.replace(/^CronPattern: /, ""));
  }
  if (!cron.nextRun()) throw new CronError(field, "this expression never fires.");
  return { expr: normalised, cron };
}

/** "At 02:30", "Every 10 seconds" ... ; falls back to the expression itself. */
export function describeCron(expr: string): string {
  try {
    return cronstrue.toString(expr, { use24HourTimeFormat: true, verbose: false });
  } catch {
    return expr;
  }
}

export function nextFires(expr: string, timezone: string, count: number, from: Date = new Date()): Date[] {
  return parseCron(expr, timezone).cron.nextRuns(count, from);
}

/**
 * The slots of `expr` in (after, until]: how many (capped at `cap`, enough to say "several") and
 * the latest one. Never walks more than `cap` slots, so a per-second cron over a month-long
 * outage costs the same as over a minute.
 */
export function slotsBetween(
  expr: string,
  timezone: string,
  after: Date,
  until: Date,
  cap = 100,
): { count: number; latest: Date | null } {
  if (until <= after) return { count: 0, latest: null };
  const { cron } = parseCron(expr, timezone);
  const first = cron.nextRun(after);
  if (!first || first > until) return { count: 0, latest: null };
  // previousRuns counts back from just past `until`, newest first.
  const recent = cron.previousRuns(cap, new Date(until.getTime() + 1)).filter((d) => d > after && d <= until);
  return { count: recent.length, latest: recent[0] ?? first };
}

/** Common cadences offered as one-click chips in the schedule form. */
export const CRON_PRESETS = [
  { label: "Hourly", cron: "0 * * * *" },
  { label: "Every 6 hours", cron: "0 */6 * * *" },
  { label: "Daily 02:00", cron: "0 2 * * *" },
  { label: "Weekdays 22:00", cron: "0 22 * * 1-5" },
  { label: "Weekly, Sunday 03:00", cron: "0 3 * * 0" },
] as const;
