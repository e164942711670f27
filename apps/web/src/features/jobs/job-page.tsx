import { Alert, AlertDescription, AlertTitle } from "@restic-manager/ui/alert";
import { Badge } from "@restic-manager/ui/badge";
import { Button } from "@restic-manager/ui/button";
import { Card, CardContent } from "@restic-manager/ui/card";
import { Link } from "@tanstack/react-router";
import { ClockIcon, RadioTowerIcon, SearchXIcon, TriangleAlertIcon } from "lucide-react";
import { useEffect } from "react";
import { BackLink } from "../../components/back-link";
import { AbsoluteTime, LiveRelativeTime } from "../../components/date-cell";
import { Meta, MetaList } from "../../components/meta-list";
import { ErrorState, PendingScreen, StatusPanel } from "../../components/status-screens";
import { useDocumentTitle } from "../../lib/document-title";
import { describeError, errorCode } from "../../lib/errors";
import { formatCount } from "../../lib/format";
import { hasRole, useCurrentUser } from "../auth/current-user";
import { useActorLabel } from "./actor";
import { CancelJobButton } from "./cancel-job";
import { JobDuration } from "./job-duration";
import { JOB_KIND_LABELS, JOB_STATUS, JobStatusBadge } from "./job-status";
import { JobSummary } from "./job-summary";
import { LogViewer } from "./log-viewer";
import { ProgressPanel } from "./progress-panel";
import { isActive, type Job } from "./types";
import { useJobStream } from "./use-job-stream";

/** /jobs/$jobId: one job, live. */
export function JobPage({ jobId }: { jobId: string }) {
  const stream = useJobStream(jobId);
  const { job } = stream;

  // Progress stored on the job (the page opened mid-backup, or the stream is down).
  const storedProgress = job.data?.progress;
  const { applyProgress } = stream;
  useEffect(() => applyProgress(storedProgress), [storedProgress, applyProgress]);

  const code = errorCode(job.error);
  if (code === "NOT_FOUND" || code === "BAD_REQUEST") return <JobNotFound />;
  if (job.data) {
    const data = job.data;
    const running = data.status === "running";
    return (
      <>
        <BackLink to="/jobs">All jobs</BackLink>
        <JobHeader job={data} />
        {stream.streamDown && (
          <Alert variant="warning" className="mb-6">
            <RadioTowerIcon aria-hidden="true" />
            <AlertTitle>Live updates are interrupted</AlertTitle>
            <AlertDescription>
              <p>
                {stream.streamError ? `${describeError(stream.streamError)} ` : ""}This page checks for new log lines
                every few seconds instead, and reconnects on its own.
              </p>
              <Button variant="outline" size="sm" className="mt-1" onClick={stream.reconnect}>
                Reconnect now
              </Button>
            </AlertDescription>
          </Alert>
        )}
        {data.status === "queued" &&
          (data.kind === "backup" ? (
            <ProgressPanel live={null} waitingFor={data.hostName} />
          ) : (
            <QueuedPanel job={data} />
          ))}
        {running && (data.kind === "backup" || stream.live) && <ProgressPanel live={stream.live} />}
        {!isActive(data.status) && <JobSummary job={data} live={stream.live} />}
        <section aria-labelledby="job-log-title">
          <div className="mb-2 flex flex-wrap items-center justify-between gap-2">
            <h2 id="job-log-title" className="font-semibold text-base tracking-tight">
              Log
            </h2>
            <div className="flex items-center gap-3 text-muted-foreground text-xs">
              {data.logTruncated && (
                <Badge variant="warning" data-testid="job-log-truncated">
                  <TriangleAlertIcon aria-hidden="true" />
                  Log truncated: it reached the size cap, later lines were not stored
                </Badge>
              )}
              <span className="tabular-nums">
                {formatCount(stream.buffer.lines.length)} {stream.buffer.lines.length === 1 ? "line" : "lines"}
              </span>
            </div>
          </div>
          <LogViewer
            buffer={stream.buffer}
            version={stream.logVersion}
            live={isActive(data.status)}
            emptyText={
              data.status === "queued"
                ? "The log starts when the agent starts the job."
                : isActive(data.status)
                  ? "No output yet."
                  : "This job wrote no log."
            }
          />
        </section>
      </>
    );
  }
  if (job.isError) {
    return (
      <ErrorState
        title="Could not load the job"
        message={describeError(job.error)}
        onRetry={() => void job.refetch()}
      />
    );
  }
  return <PendingScreen />;
}

function JobHeader({ job }: { job: Job }) {
  const user = useCurrentUser();
  const actorLabel = useActorLabel();
  const kind = JOB_KIND_LABELS[job.kind] ?? job.kind;
  const title = job.sourceGroupName && job.kind === "backup" ? `Backup of ${job.sourceGroupName}` : kind;
  useDocumentTitle(`${title} on ${job.hostName} · ${JOB_STATUS[job.status]?.label ?? job.status}`);
  return (
    <div className="mb-6">
      <div className="flex flex-col gap-4 sm:flex-row sm:items-start sm:justify-between">
        <div className="flex min-w-0 flex-wrap items-center gap-x-3 gap-y-2">
          <h1 className="min-w-0 break-words font-semibold text-2xl tracking-tight">{title}</h1>
          <JobStatusBadge status={job.status} data-testid="job-status" className="px-2.5" />
        </div>
        {hasRole(user.role, "operator") && isActive(job.status) && (
          <div className="shrink-0">
            <CancelJobButton job={job} />
          </div>
        )}
      </div>
      <MetaList>
        <Meta label="Host">
          <Link
            to="/hosts/$hostId"
            params={{ hostId: job.hostId }}
            className="break-all font-medium font-mono underline decoration-muted-foreground/40 underline-offset-4 hover:decoration-foreground"
          >
            {job.hostName}
          </Link>
        </Meta>
        {job.kind === "backup" && (
          <Meta label="Source group">
            {job.sourceGroupName ? <span className="font-mono">{job.sourceGroupName}</span> : null}
          </Meta>
        )}
        <Meta label="Started">{job.startedAt ? <AbsoluteTime value={job.startedAt} /> : null}</Meta>
        <Meta label="Finished">{job.finishedAt ? <AbsoluteTime value={job.finishedAt} /> : null}</Meta>
        <Meta label="Duration">
          <JobDuration startedAt={job.startedAt} finishedAt={job.finishedAt} />
        </Meta>
        <Meta label="Requested by">
          <span title={job.actor}>{actorLabel(job.actor, job.actorName)}</span>
        </Meta>
        <Meta label="Job id">
          <span className="select-all font-mono text-muted-foreground">{job.id}</span>
        </Meta>
      </MetaList>
    </div>
  );
}

function QueuedPanel({ job }: { job: Job }) {
  return (
    <Card className="mb-6 py-4 shadow-none" data-testid="job-queued">
      <CardContent className="flex items-start gap-3 px-5 text-sm">
        <ClockIcon className="mt-0.5 size-4 shrink-0 text-muted-foreground" aria-hidden="true" />
        <div>
          <p className="font-medium">Waiting for the agent on {job.hostName} to start the job</p>
          <p className="mt-0.5 text-muted-foreground">
            Queued <LiveRelativeTime value={job.createdAt} />. A job the agent never picks up is marked interrupted
            after a short grace period.
          </p>
        </div>
      </CardContent>
    </Card>
  );
}

function JobNotFound() {
  return (
    <StatusPanel
      icon={<SearchXIcon />}
      title="Job not found"
      actions={
        <Button asChild>
          <Link to="/jobs">Back to jobs</Link>
        </Button>
      }
    >
      <p>There is no job at this address. Its host may have been deleted, or the link may be mistyped.</p>
    </StatusPanel>
  );
}
