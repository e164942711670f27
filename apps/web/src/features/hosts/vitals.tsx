import { cn } from "@restic-manager/ui/cn";
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import type * as React from "react";
import { RelativeTime } from "../../components/date-cell";
import { formatBytes, formatCount } from "../../lib/format";
import { useTRPC } from "../../lib/trpc";
import { JobStatusBadge, LastBackupBadge } from "../jobs/job-status";
import { type Host, LIVE_REFRESH_MS } from "./types";

/** The host at a glance: last backup, repository size, snapshots and the repository init. */
export function VitalsStrip({ host }: { host: Host }) {
  const trpc = useTRPC();
  const init = useQuery({
    ...trpc.hosts.initStatus.queryOptions({ hostId: host.id }),
    refetchInterval: LIVE_REFRESH_MS,
  });

  return (
    <dl
      className="mb-6 grid grid-cols-2 overflow-hidden rounded-xl border bg-card shadow-xs lg:grid-cols-4"
      data-testid="host-vitals"
    >
      <Vital label="Last backup" className="border-r border-b lg:border-b-0">
        {host.lastBackupAt ? (
          <span className="flex flex-wrap items-center gap-2">
            <RelativeTime value={host.lastBackupAt} />
            <LastBackupBadge status={host.lastBackupStatus} />
          </span>
        ) : (
          <span className="text-muted-foreground">Never</span>
        )}
      </Vital>
      <Vital label="Repository size" className="border-b lg:border-r lg:border-b-0">
        <span className="tabular-nums">{host.repoSizeBytes === null ? "—" : formatBytes(host.repoSizeBytes)}</span>
      </Vital>
      <Vital label="Snapshots" className="border-r">
        <span className="tabular-nums">{formatCount(host.snapshotCount)}</span>
      </Vital>
      <Vital label="Repository init">
        {init.data ? (
          <span className="flex flex-wrap items-center gap-2">
            <JobStatusBadge status={init.data.status} />
            {init.data.status !== "succeeded" && (
              <Link
                to="/jobs/$jobId"
                params={{ jobId: init.data.id }}
                className="text-sm underline underline-offset-4 hover:text-foreground"
              >
                View job
              </Link>
            )}
          </span>
        ) : init.isPending ? (
          <span className="text-muted-foreground">…</span>
        ) : (
          <span className="text-muted-foreground">Not run yet</span>
        )}
      </Vital>
    </dl>
  );
}

function Vital({ label, className, children }: { label: string; className?: string; children: React.ReactNode }) {
  return (
    <div className={cn("grid content-start gap-1 px-5 py-4", className)}>
      <dt className="text-muted-foreground text-xs">{label}</dt>
      <dd className="flex min-h-6 items-center font-medium text-sm">{children}</dd>
    </div>
  );
}
