import { cn } from "@restic-manager/ui/cn";
import { Skeleton } from "@restic-manager/ui/skeleton";
import { useQuery } from "@tanstack/react-query";
import { DatabaseIcon, HistoryIcon, type LucideIcon, ServerIcon, ShieldCheckIcon } from "lucide-react";
import type * as React from "react";
import { describeError } from "../../lib/errors";
import { formatBytes, formatCount } from "../../lib/format";
import { useTRPC } from "../../lib/trpc";
import { LIVE_REFRESH_MS } from "../hosts/types";

/** The fleet in four numbers, from hosts.summary (denormalised: no job scans). */
export function FleetTiles() {
  const trpc = useTRPC();
  const summary = useQuery({ ...trpc.hosts.summary.queryOptions(), refetchInterval: LIVE_REFRESH_MS });

  if (summary.isPending) {
    return (
      <div className="mb-8 grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        {["hosts", "backups", "size", "snapshots"].map((key) => (
          <Skeleton key={key} className="h-[6.5rem] rounded-xl" />
        ))}
      </div>
    );
  }
  if (summary.isError) {
    return (
      <p role="alert" className="mb-8 rounded-xl border px-5 py-4 text-destructive text-sm">
        Could not load the fleet summary. {describeError(summary.error)}
      </p>
    );
  }
  const data = summary.data;
  return (
    <dl className="mb-8 grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
      <Tile id="hosts" icon={ServerIcon} label="Hosts online" value={`${data.online} / ${data.hosts}`}>
        <Dot className="bg-success" /> {formatCount(data.online)} online
        <span className="mx-1 text-border">|</span>
        <Dot className="bg-muted-foreground/45" /> {formatCount(data.offline)} offline
      </Tile>
      <Tile id="backups" icon={HistoryIcon} label="Backups, last 24 h" value={formatCount(data.last24h.succeeded)}>
        <span className="text-success">{formatCount(data.last24h.succeeded)} succeeded</span>
        <span className="mx-1 text-border">|</span>
        <span className={data.last24h.failed > 0 ? "font-medium text-destructive" : undefined}>
          {formatCount(data.last24h.failed)} failed
        </span>
      </Tile>
      <Tile id="size" icon={DatabaseIcon} label="Repository size" value={formatBytes(data.repoSizeBytes)}>
        Deduplicated, all hosts
      </Tile>
      <Tile id="snapshots" icon={ShieldCheckIcon} label="Snapshots" value={formatCount(data.snapshots)}>
        Across {formatCount(data.hosts)} {data.hosts === 1 ? "host" : "hosts"}
      </Tile>
    </dl>
  );
}

function Tile({
  id,
  icon: Icon,
  label,
  value,
  children,
}: {
  id: string;
  icon: LucideIcon;
  label: string;
  value: string;
  children: React.ReactNode;
}) {
  return (
    <div className="rounded-xl border bg-card px-5 py-4 text-card-foreground shadow-xs" data-testid={`tile-${id}`}>
      <dt className="flex items-center gap-2 text-muted-foreground text-sm">
        <Icon className="size-4" aria-hidden="true" />
        {label}
      </dt>
      <dd className="mt-1.5 font-semibold text-2xl tabular-nums tracking-tight">{value}</dd>
      <dd className="mt-1 flex flex-wrap items-center gap-x-1 text-muted-foreground text-xs tabular-nums">
        {children}
      </dd>
    </div>
  );
}

function Dot({ className }: { className: string }) {
  return <span aria-hidden="true" className={cn("inline-block size-1.5 rounded-full", className)} />;
}
