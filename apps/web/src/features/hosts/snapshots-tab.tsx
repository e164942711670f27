import { Badge } from "@restic-manager/ui/badge";
import { Button } from "@restic-manager/ui/button";
import { Card } from "@restic-manager/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@restic-manager/ui/table";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { ChevronLeftIcon, ChevronRightIcon, HistoryIcon } from "lucide-react";
import { useState } from "react";
import { AbsoluteTime } from "../../components/date-cell";
import { EmptyState } from "../../components/empty-state";
import { ErrorState } from "../../components/status-screens";
import { TableSkeleton } from "../../components/table-skeleton";
import { describeError } from "../../lib/errors";
import { formatCount, formatRelative } from "../../lib/format";
import { useTRPC } from "../../lib/trpc";
import { type Host, LIVE_REFRESH_MS } from "./types";

const PAGE_SIZE = 25;

/** The host's snapshots as the agent last reported them, newest first, 25 a page. */
export function SnapshotsTab({ host }: { host: Host }) {
  const trpc = useTRPC();
  const [page, setPage] = useState(0);
  const snapshots = useQuery({
    ...trpc.hosts.snapshots.queryOptions({ hostId: host.id, limit: PAGE_SIZE, offset: page * PAGE_SIZE }),
    placeholderData: keepPreviousData,
    refetchInterval: LIVE_REFRESH_MS,
  });
  const total = snapshots.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  // The list shrank under us (a forget ran): go back to the last page that exists.
  if (snapshots.isSuccess && !snapshots.isPlaceholderData && page > 0 && page >= pages) setPage(pages - 1);

  return (
    <>
      <Card className="py-0" data-testid="snapshots">
        {snapshots.isPending ? (
          <TableSkeleton rows={4} />
        ) : snapshots.isError && !snapshots.data ? (
          <ErrorState
            title="Could not load the snapshots"
            message={describeError(snapshots.error)}
            onRetry={() => void snapshots.refetch()}
          />
        ) : snapshots.data.items.length === 0 ? (
          <EmptyState icon={<HistoryIcon />} title="No snapshots yet">
            Each backup leaves a snapshot in the repository; the agent reports them after every backup. Start one from
            the Sources tab.
          </EmptyState>
        ) : (
          <Table>
            <TableHeader>
              <TableRow className="hover:bg-transparent">
                <TableHead>Time</TableHead>
                <TableHead>Snapshot</TableHead>
                <TableHead>Paths</TableHead>
                <TableHead>Tags</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {snapshots.data.items.map((snapshot) => (
                <TableRow key={snapshot.snapshotId} data-snapshot={snapshot.shortId}>
                  <TableCell>
                    <AbsoluteTime value={snapshot.time} />
                    <span className="ml-2 text-muted-foreground text-xs">{formatRelative(snapshot.time)}</span>
                  </TableCell>
                  <TableCell>
                    <code className="font-mono text-[13px]" title={snapshot.snapshotId}>
                      {snapshot.shortId}
                    </code>
                  </TableCell>
                  <TableCell>
                    <span
                      className="block max-w-80 truncate font-mono text-[13px] text-muted-foreground"
                      title={snapshot.paths.join("\n")}
                    >
                      {snapshot.paths.join(", ")}
                    </span>
                  </TableCell>
                  <TableCell>
                    {snapshot.tags.length ? (
                      <span className="flex flex-wrap gap-1">
                        {snapshot.tags.map((tag) => (
                          <Badge key={tag} variant="secondary" className="font-mono font-normal">
                            {tag}
                          </Badge>
                        ))}
                      </span>
                    ) : (
                      <span className="text-muted-foreground">—</span>
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Card>
      {total > 0 && (
        <nav aria-label="Snapshot pages" className="mt-4 flex items-center justify-between gap-4">
          <p className="text-muted-foreground text-sm tabular-nums">
            {total <= PAGE_SIZE
              ? `${formatCount(total)} ${total === 1 ? "snapshot" : "snapshots"}`
              : `${formatCount(page * PAGE_SIZE + 1)}–${formatCount(Math.min(total, (page + 1) * PAGE_SIZE))} of ${formatCount(total)} snapshots`}
          </p>
          {pages > 1 && (
            <div className="flex gap-2">
              <Button variant="outline" size="sm" disabled={page === 0} onClick={() => setPage(page - 1)}>
                <ChevronLeftIcon aria-hidden="true" />
                Prev
              </Button>
              <Button variant="outline" size="sm" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
                Next
                <ChevronRightIcon aria-hidden="true" />
              </Button>
            </div>
          )}
        </nav>
      )}
    </>
  );
}
