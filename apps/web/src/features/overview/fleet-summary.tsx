import { Button } from "@restic-manager/ui/button";
import { Card, CardAction, CardContent, CardDescription, CardHeader, CardTitle } from "@restic-manager/ui/card";
import { cn } from "@restic-manager/ui/cn";
import { Skeleton } from "@restic-manager/ui/skeleton";
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { ArrowRightIcon, ServerIcon } from "lucide-react";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { hasRole, useCurrentUser } from "../auth/current-user";
import { AddHostButton } from "../hosts/add-host-button";
import { HOST_STATUS } from "../hosts/host-status";
import { displayStatus } from "../hosts/status";
import { LIVE_REFRESH_MS } from "../hosts/types";

const TILES = [
  { status: "online", label: "Online" },
  { status: "offline", label: "Offline" },
  { status: "pending", label: "Not connected yet" },
] as const;

/** The fleet at a glance, from hosts.list: how many hosts are online and offline right now. */
export function FleetSummary() {
  const user = useCurrentUser();
  const canOperate = hasRole(user.role, "operator");
  const trpc = useTRPC();
  const hosts = useQuery({ ...trpc.hosts.list.queryOptions(), refetchInterval: LIVE_REFRESH_MS });

  if (hosts.isPending) return <Skeleton className="mb-8 h-40 rounded-xl" />;
  if (hosts.isError) {
    return (
      <Card className="mb-8 gap-3">
        <CardHeader>
          <CardTitle>Hosts</CardTitle>
          <CardDescription role="alert">Could not load the hosts. {describeError(hosts.error)}</CardDescription>
        </CardHeader>
        <CardContent>
          <Button variant="outline" size="sm" onClick={() => void hosts.refetch()}>
            Try again
          </Button>
        </CardContent>
      </Card>
    );
  }

  const active = hosts.data.filter((host) => host.status !== "revoked");
  if (active.length === 0) {
    return (
      <Card className="mb-8 gap-4 border-dashed bg-muted/30 shadow-none">
        <CardHeader>
          <CardTitle className="flex items-center gap-2">
            <ServerIcon className="size-4 text-muted-foreground" aria-hidden="true" />
            No hosts yet
          </CardTitle>
          <CardDescription className="max-w-2xl leading-relaxed">
            {canOperate
              ? "Enrol a machine with one command: Add host creates a one-time token and the install command for Linux or Windows. Once the agent connects, the host shows up here."
              : "Once an operator enrols a machine, it shows up here with its status. Ask an operator or admin of this console to add one."}
          </CardDescription>
        </CardHeader>
        {canOperate && (
          <CardContent>
            <AddHostButton />
          </CardContent>
        )}
      </Card>
    );
  }

  const revoked = hosts.data.length - active.length;
  const count = (status: string) => active.filter((host) => displayStatus(host) === status).length;
  return (
    <Card className="mb-8 gap-5">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <ServerIcon className="size-4 text-muted-foreground" aria-hidden="true" />
          Hosts
        </CardTitle>
        <CardDescription>
          {active.length === 1 ? "1 host enrolled" : `${active.length} hosts enrolled`}
          {revoked > 0 && `, ${revoked} revoked`}, updated live.
        </CardDescription>
        <CardAction className="flex gap-2">
          <Button asChild variant="ghost" size="sm">
            <Link to="/hosts">
              View hosts
              <ArrowRightIcon aria-hidden="true" />
            </Link>
          </Button>
          {canOperate && <AddHostButton variant="outline" size="sm" />}
        </CardAction>
      </CardHeader>
      <CardContent>
        <dl className="grid gap-3 sm:grid-cols-3">
          {TILES.map((tile) => (
            <div key={tile.status} className="rounded-lg border bg-muted/20 px-4 py-3">
              <dt className="flex items-center gap-2 text-muted-foreground text-sm">
                <span
                  aria-hidden="true"
                  className={cn("size-2 rounded-full", HOST_STATUS[tile.status].dot, "ring-0")}
                />
                {tile.label}
              </dt>
              <dd className="mt-1 font-semibold text-2xl tabular-nums tracking-tight">{count(tile.status)}</dd>
            </div>
          ))}
        </dl>
      </CardContent>
    </Card>
  );
}
