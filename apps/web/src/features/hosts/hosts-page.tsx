import { Badge } from "@restic-manager/ui/badge";
import { Button } from "@restic-manager/ui/button";
import { Card } from "@restic-manager/ui/card";
import { Input } from "@restic-manager/ui/input";
import { Label } from "@restic-manager/ui/label";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@restic-manager/ui/table";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { ChevronLeftIcon, ChevronRightIcon, SearchIcon, SearchXIcon, ServerIcon } from "lucide-react";
import type * as React from "react";
import { useEffect, useState } from "react";
import { LiveRelativeTime } from "../../components/date-cell";
import { EmptyState } from "../../components/empty-state";
import { SelectFilter } from "../../components/filter-field";
import { PageHeader } from "../../components/page-header";
import { ErrorState } from "../../components/status-screens";
import { TableSkeleton } from "../../components/table-skeleton";
import { describeError, errorCode } from "../../lib/errors";
import { formatCount } from "../../lib/format";
import { useTRPC } from "../../lib/trpc";
import { useDebouncedValue } from "../../lib/use-debounced";
import { hasRole, useCurrentUser } from "../auth/current-user";
import { AddHostButton } from "./add-host-button";
import {
  HOST_SORTS,
  HOST_STATUS_FILTERS,
  type HostListItem,
  type HostListPage,
  type HostsSearch,
  hostsPageInput,
} from "./host-list-query";
import { ResticVersion, StatusDot } from "./host-status";
import { PendingEnrollments } from "./pending-enrollments";
import { displayStatus, platformOf } from "./status";
import { LIVE_REFRESH_MS } from "./types";

const route = getRouteApi("/_app/hosts/");

/** /hosts: the fleet a page at a time, searched and filtered on the server (kept in the URL). */
export function HostsPage() {
  const user = useCurrentUser();
  const canOperate = hasRole(user.role, "operator");
  const trpc = useTRPC();
  const search = route.useSearch();
  const hosts = useQuery({
    ...trpc.hosts.list.queryOptions(hostsPageInput(search)),
    refetchInterval: LIVE_REFRESH_MS,
    // Paging and typing keep the last page on screen until the next one arrives.
    placeholderData: keepPreviousData,
  });
  const filtered = Boolean(search.q || search.status);

  return (
    <>
      <PageHeader
        title="Hosts"
        description="The machines this console backs up. Each runs the agent, which connects back and runs restic for it."
        actions={canOperate && <AddHostButton />}
      />
      <HostsToolbar search={search} />
      <Card className="py-0">
        {hosts.isPending ? (
          <TableSkeleton rows={6} />
        ) : hosts.isError && !hosts.data ? (
          <HostsError error={hosts.error} onRetry={() => void hosts.refetch()} />
        ) : hosts.data.items.length > 0 ? (
          <HostsTable hosts={hosts.data.items} />
        ) : filtered ? (
          <EmptyState icon={<SearchXIcon />} title="No hosts match" action={<ClearFilters />}>
            Nothing matches {search.q ? <>“{search.q}”</> : "this filter"}
            {search.q && search.status ? " with this status" : ""}. The search looks in host names, the hostnames agents
            report and tags.
          </EmptyState>
        ) : hosts.data.total > 0 ? (
          <EmptyState icon={<ServerIcon />} title="This page is empty now" action={<FirstPageLink />}>
            The hosts that were on it have gone since it was loaded.
          </EmptyState>
        ) : (
          <EmptyState icon={<ServerIcon />} title="No hosts yet" action={canOperate ? <AddHostButton /> : undefined}>
            {canOperate
              ? "Add host creates a one-time enrolment token and the install command for Linux or Windows. Run it on the machine: the agent enrols, connects back, and the host appears here."
              : "Hosts appear here once an operator enrols them. Ask an operator or admin of this console to add one."}
          </EmptyState>
        )}
      </Card>
      {hosts.data && hosts.data.items.length > 0 && (
        <HostsPager page={hosts.data} search={search} loading={hosts.isPlaceholderData} />
      )}
      {canOperate && <PendingEnrollments />}
    </>
  );
}

/** Search (debounced into the URL), status filter and order. Each change starts at page one. */
function HostsToolbar({ search }: { search: HostsSearch }) {
  const navigate = route.useNavigate();
  const [text, setText] = useState(search.q ?? "");
  const typed = useDebouncedValue(text.trim(), 300);

  // What was typed, once it settles, goes to the URL (and so to the query).
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a settled change navigates
  useEffect(() => {
    if ((typed || undefined) === search.q) return;
    void navigate({ search: (prev) => ({ ...prev, q: typed || undefined, cursor: undefined }), replace: true });
  }, [typed]);
  // The URL changed under the box (back button, Clear filters): show what it says.
  // biome-ignore lint/correctness/useExhaustiveDependencies: follows the URL only
  useEffect(() => {
    if ((search.q ?? "") !== typed) setText(search.q ?? "");
  }, [search.q]);

  const set = (key: "status" | "sort", value: string) =>
    void navigate({ search: (prev) => ({ ...prev, [key]: value || undefined, cursor: undefined }), replace: true });

  return (
    <search aria-label="Find hosts" className="mb-4 flex flex-wrap items-end gap-3">
      <div className="grid min-w-56 flex-1 gap-2 sm:max-w-sm">
        <Label htmlFor="hosts-search">Search</Label>
        <div className="relative">
          <SearchIcon
            aria-hidden="true"
            className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-muted-foreground"
          />
          <Input
            id="hosts-search"
            type="search"
            className="pl-8"
            placeholder="Name, hostname or tag"
            autoComplete="off"
            maxLength={200}
            value={text}
            onChange={(event) => setText(event.currentTarget.value)}
          />
        </div>
      </div>
      <SelectFilter
        id="hosts-status"
        label="Status"
        className="w-44"
        value={search.status ?? ""}
        onChange={(value) => set("status", value)}
        anyLabel="All statuses"
        options={HOST_STATUS_FILTERS}
      />
      <SelectFilter
        id="hosts-sort"
        label="Order"
        className="w-52"
        value={search.sort ?? "name"}
        onChange={(value) => set("sort", value === "name" ? "" : value)}
        options={HOST_SORTS}
      />
      {(search.q || search.status) && <ClearFilters />}
    </search>
  );
}

function ClearFilters() {
  return (
    <Button variant="ghost" asChild>
      <Link from="/hosts/" search={(prev) => ({ sort: prev.sort })} replace>
        Clear filters
      </Link>
    </Button>
  );
}

function FirstPageLink() {
  return (
    <Button variant="outline" asChild>
      <Link from="/hosts/" search={(prev) => ({ ...prev, cursor: undefined })}>
        Go to the first page
      </Link>
    </Button>
  );
}

/** A cursor from an old link (or another order) is refused: offer the first page, not a retry. */
function HostsError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const search = route.useSearch();
  if (search.cursor && errorCode(error) === "BAD_REQUEST") {
    return (
      <EmptyState icon={<SearchXIcon />} title="This page of the list is out of date" action={<FirstPageLink />}>
        {describeError(error)}
      </EmptyState>
    );
  }
  return <ErrorState title="Could not load the hosts" message={describeError(error)} onRetry={onRetry} />;
}

/** "Showing 51–100 of 10,000" with Previous and Next. */
function HostsPager({ page, search, loading }: { page: HostListPage; search: HostsSearch; loading: boolean }) {
  const first = page.offset + 1;
  const last = page.offset + page.items.length;
  return (
    <nav aria-label="Pages of hosts" className="mt-4 flex flex-wrap items-center justify-between gap-3">
      <p className="text-muted-foreground text-sm tabular-nums" aria-live="polite" data-testid="hosts-range">
        Showing {formatCount(first)}–{formatCount(last)} of {formatCount(page.total)}{" "}
        {page.total === 1 ? "host" : "hosts"}
      </p>
      {(page.prevCursor || page.nextCursor) && (
        <div className="flex gap-2" aria-busy={loading}>
          <PageLink cursor={page.prevCursor} search={search} rel="prev">
            <ChevronLeftIcon aria-hidden="true" />
            Previous
          </PageLink>
          <PageLink cursor={page.nextCursor} search={search} rel="next">
            Next
            <ChevronRightIcon aria-hidden="true" />
          </PageLink>
        </div>
      )}
    </nav>
  );
}

function PageLink({
  cursor,
  search,
  rel,
  children,
}: {
  cursor: string | null;
  search: HostsSearch;
  rel: "prev" | "next";
  children: React.ReactNode;
}) {
  if (!cursor) {
    return (
      <Button variant="outline" size="sm" disabled>
        {children}
      </Button>
    );
  }
  return (
    <Button variant="outline" size="sm" asChild>
      <Link to="/hosts" search={{ ...search, cursor }} rel={rel}>
        {children}
      </Link>
    </Button>
  );
}

function HostsTable({ hosts }: { hosts: HostListItem[] }) {
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
