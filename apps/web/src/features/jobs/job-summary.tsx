import { Alert, AlertDescription, AlertTitle } from "@restic-manager/ui/alert";
import { Card, CardContent } from "@restic-manager/ui/card";
import { Progress } from "@restic-manager/ui/progress";
import { Link } from "@tanstack/react-router";
import { BanIcon, CircleCheckIcon, CircleXIcon, TriangleAlertIcon, UnplugIcon } from "lucide-react";
import type * as React from "react";
import { formatBytes, formatCount, formatDuration } from "../../lib/format";
import { JOB_KIND_LABELS } from "./job-status";
import { type BackupStats, type Job, readBackupStats } from "./types";
import type { LiveProgress } from "./use-job-stream";

/** A finished job: why it failed, or what the backup did. */
export function JobSummary({ job, live }: { job: Job; live: LiveProgress | null }) {
  const stats = job.kind === "backup" ? readBackupStats(job.stats) : null;
  const what = JOB_KIND_LABELS[job.kind]?.toLowerCase() ?? job.kind;
  return (
    <div className="mb-6 grid gap-4 empty:hidden" data-testid="job-summary">
      {job.status === "failed" && (
        <Alert variant="destructive">
          <CircleXIcon aria-hidden="true" />
          <AlertTitle>The {what} failed</AlertTitle>
          <AlertDescription>
            <ErrorText error={job.error} fallback="restic exited with an error; the log below says why." />
            {job.exitCode !== null && <p className="text-xs">Exit code {job.exitCode}.</p>}
          </AlertDescription>
        </Alert>
      )}
      {job.status === "interrupted" && (
        <Alert variant="warning">
          <UnplugIcon aria-hidden="true" />
          <AlertTitle>The {what} was interrupted</AlertTitle>
          <AlertDescription>
            <ErrorText error={job.error} fallback="The agent stopped running it before it finished." />
          </AlertDescription>
        </Alert>
      )}
      {job.status === "cancelled" && (
        <Alert>
          <BanIcon aria-hidden="true" />
          <AlertTitle>The {what} was cancelled</AlertTitle>
          <AlertDescription>
            <ErrorText error={job.error} fallback="restic was stopped before it finished; no snapshot was written." />
          </AlertDescription>
        </Alert>
      )}
      {job.status === "succeeded" && job.exitCode === 3 && (
        <Alert variant="warning">
          <TriangleAlertIcon aria-hidden="true" />
          <AlertTitle>Succeeded with warnings</AlertTitle>
          <AlertDescription>
            <p>
              restic could not read some files and saved the snapshot without them. The stderr lines in the log name
              them.
            </p>
          </AlertDescription>
        </Alert>
      )}
      {job.status === "succeeded" && job.kind === "init" && (
        <Alert variant="success">
          <CircleCheckIcon aria-hidden="true" />
          <AlertTitle>The repository is ready</AlertTitle>
          <AlertDescription>
            <p>restic can back this host up now. An existing repository counts as ready too.</p>
          </AlertDescription>
        </Alert>
      )}
      {job.kind === "backup" && <BackupResult job={job} stats={stats} live={live} />}
    </div>
  );
}

function ErrorText({ error, fallback }: { error: string | null; fallback: string }) {
  return <p className="whitespace-pre-wrap break-words">{error || fallback}</p>;
}

function Stat({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid gap-0.5">
      <dt className="text-muted-foreground text-xs">{label}</dt>
      <dd className="font-semibold text-lg tabular-nums tracking-tight">{children}</dd>
    </div>
  );
}

const RESULT: Partial<Record<Job["status"], { label: string; bar: string }>> = {
  succeeded: { label: "Backup complete", bar: "bg-success" },
  failed: { label: "Backup failed", bar: "bg-destructive" },
  cancelled: { label: "Backup cancelled", bar: "bg-muted-foreground/60" },
  interrupted: { label: "Backup interrupted", bar: "bg-warning" },
};

/** A finished backup: how far it got (the bar stays, at its final value) and restic's summary. */
function BackupResult({ job, stats, live }: { job: Job; stats: BackupStats | null; live: LiveProgress | null }) {
  const progress = live?.progress ?? job.progress;
  const result = RESULT[job.status] ?? { label: "Backup", bar: "bg-primary" };
  const percent = job.status === "succeeded" ? 100 : (progress?.percent ?? 0);
  return (
    <Card className="gap-0 py-5" data-testid="job-result">
      <CardContent className="grid gap-4 px-5">
        <div className="flex items-baseline justify-between gap-4">
          <p className="font-medium text-sm">{result.label}</p>
          <p className="font-semibold text-2xl tabular-nums tracking-tight" aria-hidden="true">
            {`${percent.toFixed(percent < 10 && percent > 0 ? 1 : 0)} %`}
          </p>
        </div>
        <Progress value={percent} aria-label="Backup progress" className="h-2.5" indicatorClassName={result.bar} />
        {stats ? (
          <dl className="grid grid-cols-2 gap-x-6 gap-y-4 text-sm sm:grid-cols-3 lg:grid-cols-6">
            <Stat label="Files new">{formatCount(stats.filesNew)}</Stat>
            <Stat label="Files changed">{formatCount(stats.filesChanged)}</Stat>
            <Stat label="Files unmodified">{formatCount(stats.filesUnmodified)}</Stat>
            <Stat label="Data added">{formatBytes(stats.dataAdded)}</Stat>
            <Stat label="Duration">{formatDuration(stats.totalDuration)}</Stat>
            <Stat label="Snapshot">
              {stats.snapshotId ? (
                <Link
                  to="/hosts/$hostId"
                  params={{ hostId: job.hostId }}
                  search={{ tab: "snapshots" }}
                  className="font-mono text-base underline decoration-muted-foreground/40 underline-offset-4 hover:decoration-foreground"
                  title={stats.snapshotId}
                  data-testid="job-snapshot"
                >
                  {stats.snapshotId.slice(0, 8)}
                </Link>
              ) : (
                <span className="text-muted-foreground">—</span>
              )}
            </Stat>
          </dl>
        ) : (
          progress && (
            <p className="text-muted-foreground text-xs">
              It got through {formatCount(progress.filesDone)} files, {formatBytes(progress.bytesDone)}.
            </p>
          )
        )}
        {stats && (stats.totalFilesProcessed !== null || stats.totalBytesProcessed !== null) && (
          <p className="text-muted-foreground text-xs">
            restic went through {formatCount(stats.totalFilesProcessed)} files, {formatBytes(stats.totalBytesProcessed)}{" "}
            in all.
          </p>
        )}
      </CardContent>
    </Card>
  );
}
