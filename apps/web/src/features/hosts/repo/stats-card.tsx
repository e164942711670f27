import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@restic-manager/ui/card";
import { Link } from "@tanstack/react-router";
import { ChartPieIcon } from "lucide-react";
import type * as React from "react";
import { RelativeTime } from "../../../components/date-cell";
import { formatBytes, formatCount, formatInZone } from "../../../lib/format";
import { JobStatusBadge } from "../../jobs/job-status";
import type { Host } from "../types";
import type { Overview } from "./overview";

type LastJob = Overview["lastCheck"];

function StatRow({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="flex items-center justify-between gap-3 py-2 text-sm">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="flex min-w-0 items-center justify-end gap-2 text-right">{children}</dd>
    </div>
  );
}

/** The last job of a kind: status (coloured) linking to the job, and when it ended. */
function LastJobCell({ job, next, timezone }: { job: LastJob; next?: number | null; timezone: string }) {
  return (
    <span className="grid justify-items-end gap-0.5">
      {job ? (
        <span className="flex items-center gap-2">
          <RelativeTime value={job.finishedAt ?? job.createdAt} />
          <Link to="/jobs/$jobId" params={{ jobId: job.id }} className="rounded-md" title={job.error ?? undefined}>
            <JobStatusBadge status={job.status} className="hover:underline" />
          </Link>
        </span>
      ) : (
        <span className="text-muted-foreground">Never</span>
      )}
      {next ? (
        <span className="text-muted-foreground text-xs tabular-nums">next {formatInZone(next, timezone)}</span>
      ) : null}
    </span>
  );
}

/** Sizes and snapshot count as restic last reported them, and the last maintenance jobs. */
export function StatsCard({ host, overview }: { host: Host; overview: Overview }) {
  const { stats, maintenance } = overview;
  return (
    <Card className="gap-3" data-testid="repo-stats">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <ChartPieIcon className="size-4 text-muted-foreground" aria-hidden="true" />
          Size and health
        </CardTitle>
        <CardDescription>
          {stats.statsAt ? (
            <>
              Sizes as restic reported them <RelativeTime value={stats.statsAt} />.
            </>
          ) : (
            "The agent reports sizes after each backup, check or prune."
          )}
        </CardDescription>
      </CardHeader>
      <CardContent>
        <dl className="divide-y">
          <StatRow label="Total size">
            <span className="tabular-nums">{formatBytes(stats.totalSizeBytes)}</span>
          </StatRow>
          <StatRow label="Raw size (stored)">
            <span className="tabular-nums">{formatBytes(stats.rawSizeBytes)}</span>
          </StatRow>
          <StatRow label="Snapshots">
            <span className="tabular-nums">{formatCount(stats.snapshotCount)}</span>
          </StatRow>
          <StatRow label="Last check">
            <LastJobCell job={overview.lastCheck} next={maintenance.next.check} timezone={host.timezone} />
          </StatRow>
          <StatRow label="Last prune">
            <LastJobCell job={overview.lastPrune} next={maintenance.next.prune} timezone={host.timezone} />
          </StatRow>
          <StatRow label="Last forget">
            <LastJobCell job={overview.lastForget} next={maintenance.next.forget} timezone={host.timezone} />
          </StatRow>
          {overview.lastUnlock && (
            <StatRow label="Last unlock">
              <LastJobCell job={overview.lastUnlock} timezone={host.timezone} />
            </StatRow>
          )}
        </dl>
      </CardContent>
    </Card>
  );
}
