import { type DateInput, formatAgo, formatDateTime, formatIso, formatRelative } from "../lib/format";
import { useNow } from "../lib/now";

/** A date in a table: relative ("3 hours ago") with the exact time on hover. */
export function RelativeTime({ value, never = "—" }: { value: DateInput; never?: string }) {
  const iso = formatIso(value);
  if (!iso) return <span className="text-muted-foreground">{never}</span>;
  return (
    <time dateTime={iso} title={formatDateTime(value, { seconds: true })} className="whitespace-nowrap">
      {formatRelative(value)}
    </time>
  );
}

export function AbsoluteTime({ value }: { value: DateInput }) {
  const iso = formatIso(value);
  if (!iso) return <span className="text-muted-foreground">—</span>;
  return (
    <time dateTime={iso} title={iso} className="whitespace-nowrap tabular-nums">
      {formatDateTime(value, { seconds: true })}
    </time>
  );
}

/** A "last seen" that keeps counting ("12 s ago") between refetches, exact time on hover. */
export function LiveRelativeTime({ value, never = "—" }: { value: DateInput; never?: string }) {
  const now = useNow();
  const iso = formatIso(value);
  if (!iso) return <span className="text-muted-foreground">{never}</span>;
  return (
    <time dateTime={iso} title={formatDateTime(value, { seconds: true })} className="whitespace-nowrap tabular-nums">
      {formatAgo(value, now)}
    </time>
  );
}
