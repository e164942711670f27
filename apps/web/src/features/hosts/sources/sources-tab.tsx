import { Badge } from "@restic-manager/ui/badge";
import { Button } from "@restic-manager/ui/button";
import { Card } from "@restic-manager/ui/card";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import {
  ChevronDownIcon,
  FolderTreeIcon,
  LoaderCircleIcon,
  PlayIcon,
  PlusIcon,
  Trash2Icon,
  TriangleAlertIcon,
} from "lucide-react";
import { toast } from "sonner";
import { ConfirmActionDialog } from "../../../components/confirm-action-dialog";
import { EmptyState } from "../../../components/empty-state";
import { ErrorState } from "../../../components/status-screens";
import { TableSkeleton } from "../../../components/table-skeleton";
import { describeError } from "../../../lib/errors";
import { useTRPC } from "../../../lib/trpc";
import { hasRole, useCurrentUser } from "../../auth/current-user";
import { RunNowDialog, useRunNow } from "../run-now-dialog";
import type { Host, SourceGroup } from "../types";
import { SourceGroupForm } from "./source-group-form";

/** What this host backs up: its source groups, each with its own Run now; `edit` shows a group's form. */
export function SourcesTab({ host, edit }: { host: Host; edit?: string | undefined }) {
  const user = useCurrentUser();
  const canEdit = hasRole(user.role, "operator") && host.status !== "revoked";
  if (edit && canEdit) return <SourceGroupForm host={host} groupId={edit === "new" ? null : edit} />;
  return <SourceGroupList host={host} canEdit={canEdit} />;
}

function NewGroupButton({ hostId }: { hostId: string }) {
  return (
    <Button asChild size="sm">
      <Link to="/hosts/$hostId" params={{ hostId }} search={{ tab: "sources", edit: "new" }}>
        <PlusIcon aria-hidden="true" />
        Add source group
      </Link>
    </Button>
  );
}

function SourceGroupList({ host, canEdit }: { host: Host; canEdit: boolean }) {
  const trpc = useTRPC();
  const groups = useQuery({ ...trpc.sources.list.queryOptions({ hostId: host.id }), select: (page) => page.items });

  return (
    <section aria-labelledby="sources-title">
      <div className="mb-4 flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
        <div>
          <h2 id="sources-title" className="font-semibold text-base tracking-tight">
            Source groups
          </h2>
          <p className="mt-0.5 max-w-2xl text-muted-foreground text-sm">
            What restic backs up on this host. Each group is backed up on its own, into a snapshot tagged with the
            group's name, and keeps its snapshots by its own retention.
          </p>
        </div>
        {canEdit && <NewGroupButton hostId={host.id} />}
      </div>
      <Card className="py-0">
        {groups.isPending ? (
          <TableSkeleton rows={2} />
        ) : groups.isError ? (
          <ErrorState
            title="Could not load the source groups"
            message={describeError(groups.error)}
            onRetry={() => void groups.refetch()}
          />
        ) : groups.data.length === 0 ? (
          <EmptyState
            icon={<FolderTreeIcon />}
            title="No source groups"
            action={canEdit ? <NewGroupButton hostId={host.id} /> : undefined}
          >
            A source group lists the directories to back up and what to leave out.
          </EmptyState>
        ) : (
          <ul className="divide-y" aria-label="Source groups">
            {groups.data.map((group) => (
              <SourceGroupRow key={group.id} host={host} group={group} canEdit={canEdit} />
            ))}
          </ul>
        )}
      </Card>
    </section>
  );
}

/** "30 s", "5 min", "1 h 30 min": a first backoff is a round figure. */
function formatBackoff(seconds: number): string {
  if (seconds < 60 || seconds % 60 !== 0) return `${seconds} s`;
  const minutes = seconds / 60;
  if (minutes < 60) return `${minutes} min`;
  const rest = minutes % 60;
  return rest ? `${Math.floor(minutes / 60)} h ${rest} min` : `${minutes / 60} h`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * One group. The whole row opens its edit form (the name's link stretches over it); Run now
 * and Delete sit above the link.
 */
function SourceGroupRow({ host, group, canEdit }: { host: Host; group: SourceGroup; canEdit: boolean }) {
  const empty = group.includePaths.length === 0;
  return (
    <li
      data-source-group={group.name}
      className="relative flex flex-col gap-3 px-5 py-4 transition-colors has-[a[data-row-link]:focus-visible]:bg-muted/60 has-[a[data-row-link]:hover]:bg-muted/40 sm:flex-row sm:items-center sm:justify-between"
    >
      <div className="grid min-w-0 gap-1.5">
        <h3 className="flex min-w-0 items-center gap-2 font-semibold leading-none">
          <FolderTreeIcon className="size-4 shrink-0 text-muted-foreground" aria-hidden="true" />
          {canEdit ? (
            <Link
              to="/hosts/$hostId"
              params={{ hostId: host.id }}
              search={{ tab: "sources", edit: group.id }}
              data-row-link=""
              aria-label={`Edit ${group.name}`}
              className="truncate font-mono outline-none after:absolute after:inset-0 focus-visible:after:ring-[3px] focus-visible:after:ring-ring/50"
            >
              {group.name}
            </Link>
          ) : (
            <span className="truncate font-mono">{group.name}</span>
          )}
        </h3>
        <p className="truncate font-mono text-[13px] text-muted-foreground" title={group.includePaths.join("\n")}>
          {empty ? (
            <span className="inline-flex items-center gap-1.5 font-sans text-warning">
              <TriangleAlertIcon className="size-3.5" aria-hidden="true" />
              No paths yet: add the directories to back up.
            </span>
          ) : (
            group.includePaths.join(", ")
          )}
        </p>
        <ul className="flex flex-wrap items-center gap-x-3 gap-y-1 text-muted-foreground text-xs" aria-label="Details">
          <li>{plural(group.includePaths.length, "path")}</li>
          {group.excludePatterns.length > 0 && <li>{plural(group.excludePatterns.length, "exclude")}</li>}
          <li title="What forget keeps">Retention: {group.retentionSummary}</li>
          <li title="When a scheduled run finds the host offline">
            {group.retryMax === 0
              ? "No retry when offline"
              : `Retries ${group.retryMax}× from ${formatBackoff(group.retryBackoffSeconds)}`}
          </li>
          {group.hasPreHook && (
            <li>
              <Badge variant="outline" className="font-normal">
                pre-hook
              </Badge>
            </li>
          )}
          {group.hasPostHook && (
            <li>
              <Badge variant="outline" className="font-normal">
                post-hook
              </Badge>
            </li>
          )}
        </ul>
      </div>
      {canEdit && (
        <div className="relative z-10 flex shrink-0 items-center gap-1">
          <RunGroupNow group={group} />
          <DeleteGroupButton group={group} hostId={host.id} />
        </div>
      )}
    </li>
  );
}

/** Run now, with the bandwidth override for this run behind the chevron. */
function RunGroupNow({ group }: { group: SourceGroup }) {
  const run = useRunNow("backup", group);
  const pending = run.mutation.isPending;
  const empty = group.includePaths.length === 0;
  return (
    <div className="flex">
      <Button
        size="sm"
        className="rounded-r-none"
        disabled={empty || pending}
        onClick={() => run.start({})}
        aria-label={`Run backup of ${group.name}`}
        title={empty ? "Add paths to back up first" : undefined}
      >
        {pending ? <LoaderCircleIcon className="animate-spin" aria-hidden="true" /> : <PlayIcon aria-hidden="true" />}
        Run now
      </Button>
      <RunNowDialog
        run={run}
        trigger={
          <Button
            size="sm"
            className="rounded-l-none border-primary-foreground/20 border-l px-2"
            disabled={empty || pending}
            aria-label={`Run ${group.name} with options`}
          >
            <ChevronDownIcon aria-hidden="true" />
          </Button>
        }
      />
    </div>
  );
}

function DeleteGroupButton({ group, hostId }: { group: SourceGroup; hostId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(trpc.sources.remove.mutationOptions());
  return (
    <ConfirmActionDialog
      trigger={
        <Button variant="ghost" size="sm" aria-label={`Delete ${group.name}`} className="text-destructive">
          <Trash2Icon aria-hidden="true" />
          Delete
        </Button>
      }
      title={
        <>
          Delete the source group <span className="break-all font-mono">{group.name}</span>?
        </>
      }
      description="Its settings go; the snapshots it made stay in the repository and in the Snapshots tab. A group that a schedule still backs up cannot be deleted."
      confirmLabel="Delete group"
      errorTitle="Could not delete the group"
      mutation={remove}
      onConfirm={(close) =>
        remove.mutate(
          { groupId: group.id },
          {
            onSuccess: async () => {
              await queryClient.invalidateQueries({ queryKey: trpc.sources.list.queryKey({ hostId }) });
              close();
              toast.success(`Deleted the source group ${group.name}.`);
            },
          },
        )
      }
    />
  );
}
