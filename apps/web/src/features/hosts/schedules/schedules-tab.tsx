import { Badge } from "@restic-manager/ui/badge";
import { Button } from "@restic-manager/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@restic-manager/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@restic-manager/ui/table";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useSubscription } from "@trpc/tanstack-react-query";
import { CalendarClockIcon, HourglassIcon, LoaderCircleIcon, PlayIcon, PlusIcon, Trash2Icon } from "lucide-react";
import { useState } from "react";
import { toast } from "sonner";
import { ConfirmActionDialog } from "../../../components/confirm-action-dialog";
import { RelativeTime } from "../../../components/date-cell";
import { EmptyState } from "../../../components/empty-state";
import { ErrorState } from "../../../components/status-screens";
import { TableSkeleton } from "../../../components/table-skeleton";
import { describeError } from "../../../lib/errors";
import { formatInZone, formatRelative } from "../../../lib/format";
import { useNow } from "../../../lib/now";
import { type Trpc, useTRPC } from "../../../lib/trpc";
import { hasRole, useCurrentUser } from "../../auth/current-user";
import { JobStatusBadge } from "../../jobs/job-status";
import { RunNowDialog, useRunNow } from "../run-now-dialog";
import { groupList, type Host, type Schedule } from "../types";
import { ScheduleForm } from "./schedule-form";

// inferOutput takes queries and mutations only; a subscription's output is an AsyncIterable of events.
type Watch = Trpc["schedules"]["watch"]["~types"]["output"] extends AsyncIterable<infer Event> ? Event : never;
type PendingRun = Watch["pending"][number];

/** The host's backup schedules, live; `edit` shows a schedule's form. */
export function SchedulesTab({ host, edit }: { host: Host; edit?: string | undefined }) {
  const user = useCurrentUser();
  const canEdit = hasRole(user.role, "operator") && host.status !== "revoked";
  if (edit && canEdit) return <ScheduleForm host={host} scheduleId={edit === "new" ? null : edit} />;
  return <ScheduleList host={host} canEdit={canEdit} />;
}

/**
 * schedules.watch keeps the list, the pending catch-ups and the header's sync state current;
 * while the stream is down the list polls.
 */
function useLiveSchedules(hostId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [pending, setPending] = useState<PendingRun[]>([]);
  const subscription = useSubscription(
    trpc.schedules.watch.subscriptionOptions(
      { hostId },
      {
        onData: (data) => {
          queryClient.setQueryData(trpc.schedules.list.queryKey({ hostId }), data.schedules);
          setPending(data.pending);
          queryClient.setQueryData(trpc.hosts.get.queryKey({ hostId }), (host) =>
            host
              ? {
                  ...host,
                  scheduleVersion: data.sync.version,
                  scheduleAckedVersion: data.sync.ackedVersion,
                  scheduleAckError: data.sync.error,
                }
              : host,
          );
        },
      },
    ),
  );
  const streamDown = subscription.status === "error" || subscription.error !== null;
  const list = useQuery({
    ...trpc.schedules.list.queryOptions({ hostId }),
    select: (page) => page.items,
    refetchInterval: streamDown ? 5_000 : false,
  });
  return { list, pending };
}

function NewScheduleButton({ hostId }: { hostId: string }) {
  return (
    <Button asChild size="sm">
      <Link to="/hosts/$hostId" params={{ hostId }} search={{ tab: "schedules", edit: "new" }}>
        <PlusIcon aria-hidden="true" />
        Add schedule
      </Link>
    </Button>
  );
}

function ScheduleList({ host, canEdit }: { host: Host; canEdit: boolean }) {
  const { list, pending } = useLiveSchedules(host.id);
  return (
    <section aria-labelledby="schedules-title" className="grid gap-6">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
        <div>
          <h2 id="schedules-title" className="font-semibold text-base tracking-tight">
            Schedules
          </h2>
          <p className="mt-0.5 max-w-2xl text-muted-foreground text-sm">
            When the agent backs up which source groups, by cron in the host's time zone ({host.timezone}). The agent
            keeps the schedule itself; a slot missed while the host was offline is caught up when it is back.
          </p>
        </div>
        {canEdit && <NewScheduleButton hostId={host.id} />}
      </div>
      <Card className="py-0">
        {list.isPending ? (
          <TableSkeleton rows={2} />
        ) : list.isError ? (
          <ErrorState
            title="Could not load the schedules"
            message={describeError(list.error)}
            onRetry={() => void list.refetch()}
          />
        ) : list.data.length === 0 ? (
          <EmptyState
            icon={<CalendarClockIcon />}
            title="No schedules"
            action={canEdit ? <NewScheduleButton hostId={host.id} /> : undefined}
          >
            Without a schedule this host backs up only when someone presses Run now.
          </EmptyState>
        ) : (
          <ScheduleTable host={host} schedules={list.data} canEdit={canEdit} />
        )}
      </Card>
      {pending.length > 0 && <PendingRuns pending={pending} schedules={list.data ?? []} timezone={host.timezone} />}
    </section>
  );
}

function ScheduleTable({ host, schedules, canEdit }: { host: Host; schedules: Schedule[]; canEdit: boolean }) {
  const now = useNow();
  return (
    <Table aria-label="Schedules">
      <TableHeader>
        <TableRow className="hover:bg-transparent">
          <TableHead className="w-0">Status</TableHead>
          <TableHead>Schedule</TableHead>
          <TableHead className="hidden md:table-cell">Source groups</TableHead>
          <TableHead>Next run</TableHead>
          <TableHead className="hidden sm:table-cell">Last run</TableHead>
          {canEdit && (
            <TableHead className="w-0">
              <span className="sr-only">Actions</span>
            </TableHead>
          )}
        </TableRow>
      </TableHeader>
      <TableBody>
        {schedules.map((schedule) => (
          <TableRow
            key={schedule.id}
            data-schedule={schedule.cron}
            className="relative has-[a[data-row-link]:focus-visible]:bg-muted/60 has-[a[data-row-link]:hover]:bg-muted/40"
          >
            <TableCell>
              <Badge variant={schedule.enabled ? "success" : "secondary"}>
                {schedule.enabled ? "Enabled" : "Paused"}
              </Badge>
            </TableCell>
            <TableCell>
              <div className="grid gap-0.5">
                {canEdit ? (
                  <Link
                    to="/hosts/$hostId"
                    params={{ hostId: host.id }}
                    search={{ tab: "schedules", edit: schedule.id }}
                    data-row-link=""
                    aria-label={`Edit schedule ${schedule.cron}`}
                    className="w-fit font-medium font-mono text-[13px] outline-none after:absolute after:inset-0 focus-visible:after:ring-[3px] focus-visible:after:ring-ring/50"
                  >
                    {schedule.cron}
                  </Link>
                ) : (
                  <span className="font-medium font-mono text-[13px]">{schedule.cron}</span>
                )}
                <span className="text-muted-foreground text-xs">{schedule.description}</span>
              </div>
            </TableCell>
            <TableCell className="hidden md:table-cell">
              <span className="flex max-w-64 flex-wrap gap-1">
                {schedule.groups.map((group) => (
                  <Badge key={group.id} variant="outline" className="font-mono font-normal">
                    {group.name}
                  </Badge>
                ))}
              </span>
            </TableCell>
            <TableCell data-testid="next-run">
              {schedule.nextRunAt === null ? (
                <span className="text-muted-foreground">—</span>
              ) : (
                <span className="grid gap-0.5">
                  <time
                    dateTime={new Date(schedule.nextRunAt).toISOString()}
                    className="whitespace-nowrap tabular-nums"
                    title={`${schedule.timezone}`}
                  >
                    {formatInZone(schedule.nextRunAt, schedule.timezone)}
                  </time>
                  <span className="text-muted-foreground text-xs">
                    {schedule.nextRunAt <= now ? "due now" : formatRelative(schedule.nextRunAt, now)}
                  </span>
                </span>
              )}
              {schedule.pendingRuns > 0 && (
                <Badge variant="warning" className="mt-1">
                  <HourglassIcon aria-hidden="true" />
                  {schedule.pendingRuns} catch-up{schedule.pendingRuns === 1 ? "" : "s"} pending
                </Badge>
              )}
            </TableCell>
            <TableCell className="hidden sm:table-cell" data-testid="last-run">
              {schedule.lastRun ? (
                <span className="flex flex-wrap items-center gap-2">
                  <Link
                    to="/jobs/$jobId"
                    params={{ jobId: schedule.lastRun.id }}
                    className="relative z-10 rounded-md outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50"
                    aria-label={`Last run: ${schedule.lastRun.status}, open the job`}
                  >
                    <JobStatusBadge status={schedule.lastRun.status} className="hover:underline" />
                  </Link>
                  <span className="text-muted-foreground text-xs">
                    <RelativeTime value={schedule.lastRun.finishedAt ?? schedule.lastRun.createdAt} />
                  </span>
                </span>
              ) : (
                <span className="text-muted-foreground">Never</span>
              )}
            </TableCell>
            {canEdit && (
              <TableCell className="text-right">
                <div className="relative z-10 inline-flex gap-1">
                  <RunScheduleNow schedule={schedule} />
                  <DeleteScheduleButton hostId={host.id} schedule={schedule} />
                </div>
              </TableCell>
            )}
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/** Runs every group of the schedule now; a paused schedule asks first. One job opens, several toast. */
function RunScheduleNow({ schedule }: { schedule: Schedule }) {
  const run = useRunNow("schedule", schedule);
  const pending = run.mutation.isPending;
  const button = (onClick?: () => void) => (
    <Button
      size="sm"
      variant="outline"
      disabled={pending}
      onClick={onClick}
      aria-label={`Run schedule ${schedule.cron} now`}
    >
      {pending ? <LoaderCircleIcon className="animate-spin" aria-hidden="true" /> : <PlayIcon aria-hidden="true" />}
      Run now
    </Button>
  );
  if (schedule.enabled) return button(() => run.start({}));
  return <RunNowDialog run={run} trigger={button()} />;
}

function DeleteScheduleButton({ hostId, schedule }: { hostId: string; schedule: Schedule }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(trpc.schedules.remove.mutationOptions());
  return (
    <ConfirmActionDialog
      trigger={
        <Button variant="ghost" size="sm" className="text-destructive" aria-label={`Delete schedule ${schedule.cron}`}>
          <Trash2Icon aria-hidden="true" />
          Delete
        </Button>
      }
      title={
        <>
          Delete the schedule <span className="font-mono">{schedule.cron}</span>?
        </>
      }
      description={`${groupList(schedule)} will no longer be backed up on this schedule, and its pending catch-ups are dropped. The groups and their snapshots stay.`}
      confirmLabel="Delete schedule"
      errorTitle="Could not delete the schedule"
      mutation={remove}
      onConfirm={(close) =>
        remove.mutate(
          { scheduleId: schedule.id },
          {
            onSuccess: async () => {
              await Promise.all([
                queryClient.invalidateQueries({ queryKey: trpc.schedules.list.queryKey({ hostId }) }),
                queryClient.invalidateQueries({ queryKey: trpc.hosts.get.queryKey({ hostId }) }),
              ]);
              close();
              toast.success(`Deleted the schedule ${schedule.cron}.`);
            },
          },
        )
      }
    />
  );
}

/** Scheduled runs that found the host offline (or the agent out of sync), waiting for another try. */
function PendingRuns({
  pending,
  schedules,
  timezone,
}: {
  pending: PendingRun[];
  schedules: Schedule[];
  timezone: string;
}) {
  return (
    <Card className="gap-4" data-testid="pending-runs">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <HourglassIcon className="size-4 text-muted-foreground" aria-hidden="true" />
          Pending catch-ups
        </CardTitle>
        <CardDescription>
          Slots that passed without a backup. Missed slots of one group coalesce into a single run, started when the
          host is back or at the next try.
        </CardDescription>
      </CardHeader>
      <CardContent className="px-0">
        <Table>
          <TableHeader>
            <TableRow className="hover:bg-transparent">
              <TableHead className="pl-6">Group</TableHead>
              <TableHead>Schedule</TableHead>
              <TableHead>Slot</TableHead>
              <TableHead>Attempts</TableHead>
              <TableHead>Next try</TableHead>
              <TableHead className="pr-6">Last error</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {pending.map((run) => (
              <TableRow key={run.id}>
                <TableCell className="pl-6 font-mono text-[13px]">{run.groupName}</TableCell>
                <TableCell className="font-mono text-[13px]">
                  {schedules.find((schedule) => schedule.id === run.scheduleId)?.cron ?? "—"}
                </TableCell>
                <TableCell className="whitespace-nowrap tabular-nums">
                  {formatInZone(run.slotAt, timezone)}
                  {run.missedSlots > 1 && (
                    <span className="ml-2 text-muted-foreground text-xs">+{run.missedSlots - 1} missed</span>
                  )}
                </TableCell>
                <TableCell className="tabular-nums">{run.attempts}</TableCell>
                <TableCell>
                  <RelativeTime value={run.nextAttemptAt} />
                </TableCell>
                <TableCell className="max-w-72 truncate pr-6 text-muted-foreground" title={run.lastError ?? undefined}>
                  {run.lastError ?? "—"}
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </CardContent>
    </Card>
  );
}
