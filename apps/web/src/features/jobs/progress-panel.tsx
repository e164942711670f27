import { Card, CardContent } from "@restic-manager/ui/card";
import { Progress } from "@restic-manager/ui/progress";
import { ClockIcon, LoaderCircleIcon } from "lucide-react";
import type * as React from "react";
import { formatBytes, formatCount, formatDuration } from "../../lib/format";
import type { LiveProgress } from "./use-job-stream";

/**
 * A queued or running backup: the bar, files and bytes, throughput, ETA and the file restic is
 * reading. Queued (`waitingFor` names the host), the bar runs indeterminate.
 */
export function ProgressPanel({ live, waitingFor }: { live: LiveProgress | null; waitingFor?: string }) {
  const progress = waitingFor === undefined ? (live?.progress ?? null) : null;
  const percent = progress?.percent ?? null;
  const rate = live?.bytesPerSecond ?? null;
  let eta = progress?.etaSeconds ?? null;
  if (eta === null && rate && progress && progress.bytesTotal !== null) {
    eta = Math.max(0, (progress.bytesTotal - progress.bytesDone) / rate);
  }

  return (
    <Card className="mb-6 gap-4 py-5" data-testid="job-progress">
      <CardContent className="grid gap-4 px-5">
        <div className="flex items-baseline justify-between gap-4">
          <p className="flex items-center gap-2 font-medium text-sm">
            {waitingFor === undefined ? (
              <LoaderCircleIcon className="size-4 animate-spin text-info" aria-hidden="true" />
            ) : (
              <ClockIcon className="size-4 text-muted-foreground" aria-hidden="true" />
            )}
            {waitingFor !== undefined
              ? `Waiting for the agent on ${waitingFor} to start the backup`
              : progress === null
                ? "Starting restic…"
                : progress.filesTotal === null
                  ? "Backing up, still counting files…"
                  : "Backing up"}
          </p>
          <p className="font-semibold text-2xl tabular-nums tracking-tight" aria-hidden="true">
            {percent === null ? "—" : `${percent.toFixed(percent < 10 ? 1 : 0)} %`}
          </p>
        </div>
        <Progress value={percent} aria-label="Backup progress" className="h-2.5" indicatorClassName="bg-info" />
        <dl className="grid grid-cols-2 gap-x-6 gap-y-3 text-sm sm:grid-cols-4">
          <Figure label="Files">
            {formatCount(progress?.filesDone)}
            {progress?.filesTotal != null && (
              <span className="text-muted-foreground"> / {formatCount(progress.filesTotal)}</span>
            )}
          </Figure>
          <Figure label="Data">
            {formatBytes(progress?.bytesDone)}
            {progress?.bytesTotal != null && (
              <span className="text-muted-foreground"> / {formatBytes(progress.bytesTotal)}</span>
            )}
          </Figure>
          <Figure label="Throughput">{rate === null ? "—" : `${formatBytes(rate)}/s`}</Figure>
          <Figure label="Time left">{eta === null ? "—" : formatDuration(eta)}</Figure>
        </dl>
        <div className="grid min-w-0 gap-0.5 text-sm">
          <span className="text-muted-foreground text-xs">Current file</span>
          <CurrentFile path={progress?.currentFile ?? null} />
        </div>
      </CardContent>
    </Card>
  );
}

function Figure({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid gap-0.5">
      <dt className="text-muted-foreground text-xs">{label}</dt>
      <dd className="whitespace-nowrap font-medium tabular-nums">{children}</dd>
    </div>
  );
}

/** A long path loses the middle of its directory, never the file name. */
function CurrentFile({ path }: { path: string | null }) {
  if (!path) return <span className="text-muted-foreground">—</span>;
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1;
  return (
    <span className="flex min-w-0 font-mono text-[13px]" title={path} data-testid="job-current-file">
      <span className="truncate">{path.slice(0, cut)}</span>
      <span className="max-w-[70%] shrink-0 truncate">{path.slice(cut)}</span>
    </span>
  );
}
