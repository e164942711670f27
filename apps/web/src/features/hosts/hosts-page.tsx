import { Badge } from "@restic-manager/ui/badge";
import { Card } from "@restic-manager/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@restic-manager/ui/table";
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { ServerIcon } from "lucide-react";
import { LiveRelativeTime } from "../../components/date-cell";
import { EmptyState } from "../../components/empty-state";
import { PageHeader } from "../../components/page-header";
import { ErrorState } from "../../components/status-screens";
import { TableSkeleton } from "../../components/table-skeleton";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { hasRole, useCurrentUser } from "../auth/current-user";
import { AddHostButton } from "./add-host-button";
import { ResticVersion, StatusDot } from "./host-status";
import { PendingEnrollments } from "./pending-enrollments";
import { displayStatus, platformOf } from "./status";
import { type Host, LIVE_REFRESH_MS } from "./types";

export function HostsPage() {
  const user = useCurrentUser();
  const canOperate = hasRole(user.role, "operator");
  const trpc = useTRPC();
  const hosts = useQuery({ ...trpc.hosts.list.queryOptions(), refetchInterval: LIVE_REFRESH_MS });

  return (
    <>
      <PageHeader
        title="Hosts"
        description="The machines this console backs up. Each runs the agent, which connects back and runs restic for it."
        actions={canOperate && <AddHostButton />}
      />
      <Card className="py-0">
        {hosts.isPending ? (
          <TableSkeleton />
        ) : hosts.isError ? (
          <ErrorState
            title="Could not load the hosts"
            message={describeError(hosts.error)}
            onRetry={() => void hosts.refetch()}
          />
        ) : hosts.data.length === 0 ? (
          <EmptyState icon={<ServerIcon />} title="No hosts yet" action={canOperate ? <AddHostButton /> : undefined}>
            {canOperate
              ? "Add host creates a one-time enrolment token and the install command for Linux or Windows. Run it on the machine: the agent enrols, connects back, and the host appears here."
              : "Hosts appear here once an operator enrols them. Ask an operator or admin of this console to add one."}
          </EmptyState>
        ) : (
          <HostsTable hosts={hosts.data} />
        )}
      </Card>
      {canOperate && <PendingEnrollments />}
    </>
  );
}

function HostsTable({ hosts }: { hosts: Host[] }) {
  return (
    <Table>
      <TableHeader>
        <TableRow className="hover:bg-transparent">
          <TableHead>Host</TableHead>
          <TableHead className="hidden sm:table-cell">OS / arch</TableHead>
          <TableHead className="hidden md:table-cell">Agent</TableHead>
          <TableHead>restic</TableHead>
          <TableHead>Last seen</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {hosts.map((host) => (
          // The name's link stretches over the whole row (after:inset-0): one link per row,
          // so middle-click and "open in new tab" work anywhere on it.
          <TableRow
            key={host.id}
            data-host={host.name}
            className="relative has-[a:focus-visible]:bg-muted/60 has-[a:hover]:bg-muted/40"
          >
            <TableCell>
              <div className="flex items-center gap-3">
                <StatusDot status={displayStatus(host)} />
                <div className="min-w-0">
                  <Link
                    to="/hosts/$hostId"
                    params={{ hostId: host.id }}
                    className="block max-w-64 truncate font-medium font-mono text-[13px] outline-none after:absolute after:inset-0 after:rounded-sm focus-visible:after:ring-[3px] focus-visible:after:ring-ring/50"
                  >
                    {host.name}
                  </Link>
                  {host.reportedHostname && host.reportedHostname !== host.name && (
                    <p className="max-w-64 truncate text-muted-foreground text-xs" title={host.reportedHostname}>
                      {host.reportedHostname}
                    </p>
                  )}
                </div>
              </div>
            </TableCell>
            <TableCell className="hidden whitespace-nowrap sm:table-cell">
              {platformOf(host) ?? <span className="text-muted-foreground">—</span>}
            </TableCell>
            <TableCell className="hidden md:table-cell">
              {host.agentVersion ? (
                <span className="font-mono text-xs">{host.agentVersion}</span>
              ) : (
                <span className="text-muted-foreground">—</span>
              )}
            </TableCell>
            <TableCell>
              <ResticVersion version={host.resticVersion} error={host.resticError} />
            </TableCell>
            <TableCell>
              {host.status === "revoked" ? (
                <Badge variant="destructive">Revoked</Badge>
              ) : (
                <LiveRelativeTime value={host.lastSeenAt} never="Not connected yet" />
              )}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
