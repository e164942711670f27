import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
  AlertDialogTrigger,
} from "@restic-manager/ui/alert-dialog";
import { Button } from "@restic-manager/ui/button";
import { Card, CardContent } from "@restic-manager/ui/card";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { FolderTreeIcon, LoaderCircleIcon, PlayIcon, Trash2Icon, TriangleAlertIcon } from "lucide-react";
import type * as React from "react";
import { useState } from "react";
import { toast } from "sonner";
import { EmptyState } from "../../components/empty-state";
import { FormAlert } from "../../components/form-alert";
import { ErrorState } from "../../components/status-screens";
import { TableSkeleton } from "../../components/table-skeleton";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { hasRole, useCurrentUser } from "../auth/current-user";
import { useRunBackup } from "./run-backup";
import { SourceGroupDialog } from "./source-group-dialog";
import type { Host, SourceGroup } from "./types";

/** What this host backs up: its source groups, each with its own Run now. */
export function SourcesTab({ host }: { host: Host }) {
  const user = useCurrentUser();
  const canEdit = hasRole(user.role, "operator") && host.status !== "revoked";
  const trpc = useTRPC();
  const groups = useQuery(trpc.sources.list.queryOptions({ hostId: host.id }));

  return (
    <section aria-labelledby="sources-title">
      <div className="mb-4 flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
        <div>
          <h2 id="sources-title" className="font-semibold text-base tracking-tight">
            Source groups
          </h2>
          <p className="mt-0.5 max-w-2xl text-muted-foreground text-sm">
            What restic backs up on this host. Each group is backed up on its own, into a snapshot tagged with the
            group's name.
          </p>
        </div>
        {canEdit && <SourceGroupDialog hostId={host.id} />}
      </div>
      {groups.isPending ? (
        <Card className="py-0">
          <TableSkeleton rows={2} />
        </Card>
      ) : groups.isError ? (
        <Card className="py-0">
          <ErrorState
            title="Could not load the source groups"
            message={describeError(groups.error)}
            onRetry={() => void groups.refetch()}
          />
        </Card>
      ) : groups.data.length === 0 ? (
        <Card className="py-0">
          <EmptyState
            icon={<FolderTreeIcon />}
            title="No source groups"
            action={canEdit ? <SourceGroupDialog hostId={host.id} /> : undefined}
          >
            A source group lists the directories to back up and what to leave out.
          </EmptyState>
        </Card>
      ) : (
        <ul className="grid gap-4">
          {groups.data.map((group) => (
            <li key={group.id}>
              <SourceGroupCard host={host} group={group} canEdit={canEdit} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function SourceGroupCard({ host, group, canEdit }: { host: Host; group: SourceGroup; canEdit: boolean }) {
  const run = useRunBackup();
  const empty = group.includePaths.length === 0;
  return (
    <Card className="gap-4 py-5" data-source-group={group.name}>
      <div className="flex flex-col gap-3 px-5 sm:flex-row sm:items-center sm:justify-between">
        <h3 className="flex min-w-0 items-center gap-2 font-semibold leading-none">
          <FolderTreeIcon className="size-4 shrink-0 text-muted-foreground" aria-hidden="true" />
          <span className="truncate font-mono">{group.name}</span>
        </h3>
        {canEdit && (
          <div className="-my-1 flex shrink-0 flex-wrap gap-1">
            <Button
              size="sm"
              disabled={empty || run.isPending}
              onClick={() => run.mutate({ groupId: group.id })}
              aria-label={`Run backup of ${group.name}`}
              title={empty ? "Add paths to back up first" : undefined}
            >
              {run.isPending ? (
                <LoaderCircleIcon className="animate-spin" aria-hidden="true" />
              ) : (
                <PlayIcon aria-hidden="true" />
              )}
              Run now
            </Button>
            <SourceGroupDialog hostId={host.id} group={group} />
            <DeleteGroupButton group={group} hostId={host.id} />
          </div>
        )}
      </div>
      <CardContent className="grid gap-4 px-5 sm:grid-cols-2">
        <PathList
          title="Paths"
          values={group.includePaths}
          empty={
            <span className="inline-flex items-center gap-1.5 text-warning">
              <TriangleAlertIcon className="size-3.5" aria-hidden="true" />
              No paths yet: add the directories to back up.
            </span>
          }
        />
        <PathList
          title="Exclude patterns"
          values={group.excludePatterns}
          empty={<span className="text-muted-foreground">None</span>}
        />
      </CardContent>
    </Card>
  );
}

function PathList({ title, values, empty }: { title: string; values: string[]; empty: React.ReactNode }) {
  return (
    <div className="grid content-start gap-1.5 text-sm">
      <p className="text-muted-foreground text-xs">{title}</p>
      {values.length === 0 ? (
        <p>{empty}</p>
      ) : (
        <ul className="grid max-h-48 gap-0.5 overflow-y-auto">
          {values.map((value) => (
            <li key={value} className="break-all font-mono text-[13px]">
              {value}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function DeleteGroupButton({ group, hostId }: { group: SourceGroup; hostId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const remove = useMutation(
    trpc.sources.remove.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.sources.list.queryKey({ hostId }) });
        setOpen(false);
        toast.success(`Deleted the source group ${group.name}.`);
      },
    }),
  );
  return (
    <AlertDialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) remove.reset();
      }}
    >
      <AlertDialogTrigger asChild>
        <Button variant="ghost" size="sm" aria-label={`Delete ${group.name}`} className="text-destructive">
          <Trash2Icon aria-hidden="true" />
          Delete
        </Button>
      </AlertDialogTrigger>
      <AlertDialogContent>
        <AlertDialogHeader>
          <AlertDialogTitle>
            Delete the source group <span className="break-all font-mono">{group.name}</span>?
          </AlertDialogTitle>
          <AlertDialogDescription>
            Its settings go; the snapshots it made stay in the repository and in the Snapshots tab.
          </AlertDialogDescription>
        </AlertDialogHeader>
        <FormAlert title="Could not delete the group" message={remove.error ? describeError(remove.error) : null} />
        <AlertDialogFooter>
          <AlertDialogCancel>Cancel</AlertDialogCancel>
          <Button
            variant="destructive"
            disabled={remove.isPending}
            onClick={() => remove.mutate({ groupId: group.id })}
          >
            {remove.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
            Delete group
          </Button>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
