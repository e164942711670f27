import { type DateInput, formatDuration, secondsBetween } from "../../lib/format";
import { useNow } from "../../lib/now";

/** How long a job ran; a running job keeps counting. Queued jobs have no duration yet. */
export function JobDuration({ startedAt, finishedAt }: { startedAt: DateInput; finishedAt: DateInput }) {
  if (!startedAt) return <span className="text-muted-foreground">—</span>;
  return finishedAt ? (
    <span className="whitespace-nowrap tabular-nums">{formatDuration(secondsBetween(startedAt, finishedAt))}</span>
  ) : (
    <LiveDuration startedAt={startedAt} />
  );
}

function LiveDuration({ startedAt }: { startedAt: DateInput }) {
  const now = useNow();
  return <span className="whitespace-nowrap tabular-nums">{formatDuration(secondsBetween(startedAt, null, now))}</span>;
}
