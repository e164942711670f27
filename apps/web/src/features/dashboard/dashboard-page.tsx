import { Badge } from "@restic-manager/ui/badge";
import { Button } from "@restic-manager/ui/button";
import { Card } from "@restic-manager/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@restic-manager/ui/table";
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { ArrowRightIcon, LoaderCircleIcon, ServerIcon } from "lucide-react";
import { RelativeTime } from "../../components/date-cell";
import { EmptyState } from "../../components/empty-state";
import { PageHeader } from "../../components/page-header";
import { ErrorState } from "../../components/status-screens";
import { TableSkeleton } from "../../components/table-skeleton";
import { describeError } from "../../lib/errors";
import { formatBytes, formatCount } from "../../lib/format";
import { useTRPC } from "../../lib/trpc";
import { hasRole, useCurrentUser } from "../auth/current-user";
import { AddHostButton } from "../hosts/add-host-button";
import { DASHBOARD_HOSTS_INPUT, type HostListItem } from "../hosts/host-list-query";
import { StatusDot } from "../hosts/host-status";
import { displayStatus, platformOf } from "../hosts/status";
import { LIVE_REFRESH_MS } from "../hosts/types";
import { JOB_KIND_LABELS, LastBackupBadge } from "../jobs/job-status";
import type { JobRow } from "../jobs/types";
import { FleetTiles } from "./fleet-tiles";
import { HostRowRunNow } from "./run-all-groups";

/** `/`: the fleet at a glance, updated every few seconds. */
export function DashboardPage() {
  const user = useCurrentUser();
  const canOperate = hasRole(user.role, "operator");
  const trpc = useTRPC();
  const hosts = useQuery({ ...trpc.hosts.list.queryOptions(DASHBOARD_HOSTS_INPUT), refetchInterval: LIVE_REFRESH_MS });
  const active = hosts.data?.items ?? [];
  const busy = useActiveJobs();

  return (
    <>
      <PageHeader
        title="Dashboard"
        description="Every host's backups at a glance, updated live."
        actions={canOperate && active.length > 0 && <AddHostButton variant="outline" />}
      />
      <FleetTiles />
      <Card className="py-0">
        {hosts.isPending ? (
          <TableSkeleton rows={4} />
        ) : hosts.isError ? (
          <ErrorState
            title="Could not load the hosts"
            message={describeError(hosts.error)}
            onRetry={() => void hosts.refetch()}
          />
        ) : active.length === 0 ? (
          <EmptyState icon={<ServerIcon />} title="No hosts yet" action={canOperate ? <AddHostButton /> : undefined}>
            {canOperate
              ? "Add host gives you a one-time install command for Linux or Windows. Run it on the machine: the agent enrols, connects back, initialises the repository and the host appears here."
              : "Hosts appear here once an operator enrols them. Ask an operator or admin of this console to add one."}
          </EmptyState>
        ) : (
          <FleetTable hosts={active} canOperate={canOperate} busy={busy} />
        )}
      </Card>
      {hosts.data && active.length > 0 && <FleetTableFooter shown={active.length} total={hosts.data.total} />}
    </>
  );
}

/** The job each host is running or waiting to run (at most one: jobs are single-flight per host). */
function useActiveJobs(): Map<string, JobRow> {
  const trpc = useTRPC();
  const options = { refetchInterval: LIVE_REFRESH_MS };
  const running = useQuery({ ...trpc.jobs.list.queryOptions({ status: "running", limit: 200 }), ...options });
  const queued = useQuery({ ...trpc.jobs.list.queryOptions({ status: "queued", limit: 200 }), ...options });
  const byHost = new Map<string, JobRow>();
  for (const job of [...(queued.data?.items ?? []), ...(running.data?.items ?? [])]) byHost.set(job.hostId, job);
  return byHost;
}

/**
 * Under the table: how many of the fleet it shows. It holds one page, the hosts that most need
 * attention first (failed last backup, offline, never connected, never backed up); the Hosts
 * page pages through the rest in the same order.
 */
function FleetTableFooter({ shown, total }: { shown: number; total: number }) {
  if (shown >= total) return null;
  return (
    <div className="mt-4 flex flex-wrap items-center justify-between gap-3">
      <p className="text-muted-foreground text-sm tabular-nums" data-testid="fleet-range">
        Showing {formatCount(shown)} of {formatCount(total)} hosts, those that need attention first.
      </p>
      <Button variant="outline" size="sm" asChild>
        <Link to="/hosts" search={{ sort: "attention" }}>
          View all hosts
          <ArrowRightIcon aria-hidden="true" />
        </Link>
      </Button>
    </div>
  );
}

function FleetTable({
  hosts,
  canOperate,
  busy,
}: {
  hosts: HostListItem[];
  canOperate: boolean;
  busy: Map<string, JobRow>;
}) {
  return (
    <Table>
      <TableHeader>
        <TableRow className="hover:bg-transparent">
          <TableHead>Host</TableHead>
          <TableHead className="hidden xl:table-cell">Tags</TableHead>
          <TableHead className="hidden md:table-cell">OS / arch</TableHead>
          <TableHead>Last backup</TableHead>
          <TableHead className="text-right">Repo size</TableHead>
          <TableHead className="hidden text-right sm:table-cell">Snapshots</TableHead>
          {canOperate && (
            <TableHead className="w-0">
              <span className="sr-only">Actions</span>
            </TableHead>
          )}
        </TableRow>
      </TableHeader>
      <TableBody>
        {hosts.map((host) => {
          const status = displayStatus(host);
          const job = busy.get(host.id);
          return (
            // The name's link stretches over the row (after:inset-0); the Run now cell sits above it.
            <TableRow
              key={host.id}
              data-host={host.name}
              className="relative has-[a:focus-visible]:bg-muted/60 has-[a:hover]:bg-muted/40"
            >
              <TableCell>
                <div className="flex items-center gap-3">
                  <StatusDot status={status} />
                  <Link
                    to="/hosts/$hostId"
                    params={{ hostId: host.id }}
                    className="block max-w-56 truncate font-medium font-mono text-[13px] outline-none after:absolute after:inset-0 after:rounded-sm focus-visible:after:ring-[3px] focus-visible:after:ring-ring/50"
                  >
                    {host.name}
                  </Link>
                </div>
              </TableCell>
              <TableCell className="hidden xl:table-cell">
                {host.tags.length ? (
                  <span className="flex max-w-48 flex-wrap gap-1">
                    {host.tags.map((tag) => (
                      <Badge key={tag} variant="outline" className="font-normal">
                        {tag}
                      </Badge>
                    ))}
                  </span>
                ) : (
                  <span className="text-muted-foreground">—</span>
                )}
              </TableCell>
              <TableCell className="hidden whitespace-nowrap md:table-cell">
                {platformOf(host) ?? <span className="text-muted-foreground">—</span>}
              </TableCell>
              <TableCell data-testid="last-backup">
                <span className="flex flex-wrap items-center gap-2">
                  {host.lastBackupAt ? (
                    <>
                      <RelativeTime value={host.lastBackupAt} />
                      <LastBackupBadge status={host.lastBackupStatus} />
                    </>
                  ) : (
                    <span className="text-muted-foreground">Never</span>
                  )}
                  {job && <ActiveJobLink job={job} />}
                </span>
              </TableCell>
              <TableCell className="whitespace-nowrap text-right tabular-nums">
                {host.repoSizeBytes === null ? (
                  <span className="text-muted-foreground">—</span>
                ) : (
                  formatBytes(host.repoSizeBytes)
                )}
              </TableCell>
              <TableCell className="hidden text-right tabular-nums sm:table-cell" data-testid="snapshot-count">
                {formatCount(host.snapshotCount)}
              </TableCell>
              {canOperate && (
                <TableCell className="text-right">
                  <div className="relative z-10 inline-flex">
                    <HostRowRunNow hostId={host.id} hostName={host.name} coveringScheduleId={host.coveringScheduleId} />
                  </div>
                </TableCell>
              )}
            </TableRow>
          );
        })}
      </TableBody>
    </Table>
  );
}

/** "Backup running" over the row link: opens the live job page. */
function ActiveJobLink({ job }: { job: JobRow }) {
  const what = job.kind === "backup" ? "Backup" : (JOB_KIND_LABELS[job.kind] ?? job.kind);
  return (
    <Link
      to="/jobs/$jobId"
      params={{ jobId: job.id }}
      className="relative z-10 rounded-md outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50"
      data-testid="active-job"
    >
      <Badge variant="info" className="gap-1 hover:underline">
        <LoaderCircleIcon className={job.status === "running" ? "animate-spin" : undefined} aria-hidden="true" />
        {what} {job.status === "running" ? "running" : "queued"}
      </Badge>
    </Link>
  );
}
