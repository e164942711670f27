import { Badge } from "@restic-manager/ui/badge";
import { Button } from "@restic-manager/ui/button";
import { Card } from "@restic-manager/ui/card";
import { Label } from "@restic-manager/ui/label";
import { NativeSelect } from "@restic-manager/ui/native-select";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@restic-manager/ui/table";
import { useInfiniteQuery } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { LoaderCircleIcon, ScrollTextIcon } from "lucide-react";
import { AbsoluteTime } from "../../components/date-cell";
import { EmptyState } from "../../components/empty-state";
import { Forbidden } from "../../components/forbidden";
import { PageHeader } from "../../components/page-header";
import { ErrorState } from "../../components/status-screens";
import { TableSkeleton } from "../../components/table-skeleton";
import { describeError, errorCode } from "../../lib/errors";
import { useTRPC, useTRPCClient } from "../../lib/trpc";
import { useCurrentUser } from "../auth/current-user";
import { AUDIT_ACTIONS, WARNING_ACTIONS } from "./actions";

const PAGE_SIZE = 50;
const route = getRouteApi("/_app/admin/audit");

export function AuditPage() {
  const me = useCurrentUser();
  const { action } = route.useSearch();
  const navigate = route.useNavigate();
  const trpc = useTRPC();
  const client = useTRPCClient();

  // Paged by hand (not useInfiniteQuery's tRPC helper) to keep the action filter in the key.
  const audit = useInfiniteQuery({
    queryKey: [...trpc.audit.list.queryKey({ action, limit: PAGE_SIZE }), "pages"],
    queryFn: ({ pageParam }) =>
      client.audit.list.query({ action, limit: PAGE_SIZE, ...(pageParam === null ? {} : { cursor: pageParam }) }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
    enabled: me.role === "admin",
  });

  if (me.role !== "admin" || errorCode(audit.error) === "FORBIDDEN") {
    return <Forbidden role={me.role} username={me.username} needed="admin" />;
  }

  const rows = audit.data?.pages.flatMap((page) => page.items) ?? [];
  // Keep an action from the URL selectable even if this build does not know it.
  const options =
    action && !AUDIT_ACTIONS.some((known) => known.value === action)
      ? [...AUDIT_ACTIONS, { value: action, label: action }]
      : AUDIT_ACTIONS;

  return (
    <>
      <PageHeader title="Audit log" description="Every sign-in and change on this console, newest first." />
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <div className="grid gap-2">
          <Label htmlFor="audit-action">Action</Label>
          <NativeSelect
            id="audit-action"
            wrapperClassName="w-56"
            value={action ?? ""}
            onChange={(event) => {
              const value = event.currentTarget.value;
              void navigate({ search: value ? { action: value } : {} });
            }}
          >
            <option value="">All actions</option>
            {options.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </NativeSelect>
        </div>
        {action && (
          <Button variant="ghost" onClick={() => void navigate({ search: {} })}>
            Clear filter
          </Button>
        )}
      </div>
      <Card className="py-0">
        {audit.isPending ? (
          <TableSkeleton rows={6} />
        ) : audit.isError ? (
          <ErrorState
            title="Could not load the audit log"
            message={describeError(audit.error)}
            onRetry={() => void audit.refetch()}
          />
        ) : rows.length === 0 ? (
          <EmptyState icon={<ScrollTextIcon />} title={action ? "No entries for this action" : "No entries yet"}>
            {action ? "Try another action, or clear the filter." : "Sign-ins and changes will appear here."}
          </EmptyState>
        ) : (
          <Table>
            <TableHeader>
              <TableRow className="hover:bg-transparent">
                <TableHead>Time</TableHead>
                <TableHead>Actor</TableHead>
                <TableHead>Action</TableHead>
                <TableHead>Target</TableHead>
                <TableHead>IP</TableHead>
                <TableHead>Summary</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {rows.map((row) => (
                <TableRow key={row.id}>
                  <TableCell className="text-muted-foreground">
                    <AbsoluteTime value={row.at} />
                  </TableCell>
                  <TableCell>
                    <span className="block max-w-48 truncate font-medium" title={row.actor}>
                      {row.actorName ?? row.actor}
                    </span>
                  </TableCell>
                  <TableCell>
                    <Badge
                      variant={WARNING_ACTIONS.has(row.action) ? "warning" : "secondary"}
                      className="font-mono font-normal"
                    >
                      {row.action}
                    </Badge>
                  </TableCell>
                  <TableCell>
                    {row.targetType ? (
                      <span
                        className="block max-w-44 truncate font-mono text-muted-foreground text-xs"
                        title={`${row.targetType}:${row.targetId ?? ""}`}
                      >
                        {row.targetType}
                        {row.targetId && `:${row.targetId}`}
                      </span>
                    ) : (
                      <span className="text-muted-foreground">—</span>
                    )}
                  </TableCell>
                  <TableCell className="font-mono text-muted-foreground text-xs">{row.ip ?? "—"}</TableCell>
                  <TableCell className="min-w-64 whitespace-normal">{row.summary}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Card>
      {rows.length > 0 && (
        <div className="mt-4 flex items-center justify-center">
          {audit.hasNextPage ? (
            <Button variant="outline" onClick={() => void audit.fetchNextPage()} disabled={audit.isFetchingNextPage}>
              {audit.isFetchingNextPage && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
              Load more
            </Button>
          ) : (
            <p className="text-muted-foreground text-sm">
              {rows.length} {rows.length === 1 ? "entry" : "entries"}, the whole log{action ? " for this action" : ""}.
            </p>
          )}
        </div>
      )}
      {audit.isFetchNextPageError && (
        <p role="alert" className="mt-2 text-center text-destructive text-sm">
          {describeError(audit.error)}
        </p>
      )}
    </>
  );
}
