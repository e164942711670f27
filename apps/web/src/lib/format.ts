/**
 * Dates arrive as Dates (the tRPC links use superjson), but format defensively: ISO strings and
 * epoch numbers work too, and a bad value shows "—" instead of throwing.
 */
export type DateInput = string | number | Date | null | undefined;

export function toDate(value: DateInput): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateTimeSeconds = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export function formatDateTime(value: DateInput, { seconds = false } = {}): string {
  const date = toDate(value);
  if (!date) return "—";
  return (seconds ? dateTimeSeconds : dateTime).format(date);
}

/** The exact instant, for a title attribute. */
export function formatIso(value: DateInput): string | undefined {
  return toDate(value)?.toISOString();
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** "3 hours ago", "in 2 days"; under a minute is "just now". */
export function formatRelative(value: DateInput, now: number = Date.now()): string {
  const date = toDate(value);
  if (!date) return "—";
  const seconds = Math.round((date.getTime() - now) / 1000);
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relative.format(Math.trunc(seconds / size), unit);
  }
  return seconds > 0 ? "in a moment" : "just now";
}

/**
 * For "last seen": "12 s ago" under a minute, where heartbeats make seconds matter, then as
 * formatRelative. A clock a few seconds ahead of the server's reads "just now", not "in 3 s".
 */
export function formatAgo(value: DateInput, now: number = Date.now()): string {
  const date = toDate(value);
  if (!date) return "—";
  const seconds = Math.round((now - date.getTime()) / 1000);
  if (seconds < 60) return seconds < 1 ? "just now" : `${seconds} s ago`;
  return formatRelative(date, now);
}

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

/** "14:05": the time of day, 24-hour, in the browser's time zone. */
export function formatClock(value: DateInput): string {
  const date = toDate(value);
  return date ? clock.format(date) : "—";
}
