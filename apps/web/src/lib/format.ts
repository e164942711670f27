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

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** "1.4 GiB": binary units, as restic prints them; null/undefined is "—". */
export function formatBytes(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value) || value < 0) return "—";
  let size = value;
  let unit = 0;
  while (size >= 1024 && unit < BYTE_UNITS.length - 1) {
    size /= 1024;
    unit++;
  }
  const digits = unit === 0 || size >= 100 ? 0 : size >= 10 ? 1 : 2;
  return `${size.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

const count = new Intl.NumberFormat();

/** "12,345" in the browser's locale. */
export function formatCount(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  return count.format(value);
}

/** "850 ms", "42 s", "3 min 05 s", "2 h 04 min", "3 d 2 h". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  const pad = (n: number) => String(n).padStart(2, "0");
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes} min ${pad(total % 60)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${pad(minutes % 60)} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** Seconds between two instants; `end` null means "until now". */
export function secondsBetween(start: DateInput, end: DateInput, now: number = Date.now()): number | null {
  const from = toDate(start);
  if (!from) return null;
  const to = toDate(end)?.getTime() ?? now;
  return Math.max(0, (to - from.getTime()) / 1000);
}

/**
 * "Mon 12 May, 14:05:00" in `timeZone` (the host's, for schedules: that is where cron runs);
 * seconds only when they are not :00. An unknown zone falls back to the browser's.
 */
export function formatInZone(value: DateInput, timeZone: string): string {
  const date = toDate(value);
  if (!date) return "—";
  const options: Intl.DateTimeFormatOptions = {
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    ...(date.getUTCSeconds() !== 0 ? { second: "2-digit" } : {}),
  };
  try {
    return new Intl.DateTimeFormat(undefined, { ...options, timeZone }).format(date);
  } catch {
    return new Intl.DateTimeFormat(undefined, options).format(date);
  }
}
