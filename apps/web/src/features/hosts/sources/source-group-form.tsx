/**
 * The source group's edit page (`?tab=sources&edit=new|<id>`): loads the group, then one form
 * that holds the state (typed errors, the debounced conflict check, the save) and lays out the
 * sections from source-group-sections.tsx.
 */
import { ZSourceGroupFields } from "@restic-manager/api/schemas";
import { Card } from "@restic-manager/ui/card";
import { Skeleton } from "@restic-manager/ui/skeleton";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import type * as React from "react";
import { useState } from "react";
import { toast } from "sonner";
import { ErrorState } from "../../../components/status-screens";
import { describeError, errorCode } from "../../../lib/errors";
import { useTRPC } from "../../../lib/trpc";
import { useDebouncedValue } from "../../../lib/use-debounced";
import { type FieldErrors, fieldErrorsOf } from "../../../lib/validation";
import { TabFormFooter, TabFormHeader } from "../tab-form";
import type { Host } from "../types";
import { type GroupDraft, isCheckable, NEW_GROUP, readGroupForm } from "./group-draft";
import { HooksSection, RetentionSection, RetrySection, UsedBy, WhatToBackUpSection } from "./source-group-sections";

/** `?tab=sources&edit=new|<id>`: the whole group on one page. */
export function SourceGroupForm({ host, groupId }: { host: Host; groupId: string | null }) {
  const trpc = useTRPC();
  const group = useQuery({ ...trpc.sources.get.queryOptions({ groupId: groupId ?? "" }), enabled: groupId !== null });
  const header = (title: React.ReactNode) => (
    <TabFormHeader
      hostId={host.id}
      tab="sources"
      back="Source groups"
      title={title}
      description="What restic backs up together. Each backup of the group is one snapshot, tagged with its name."
    />
  );

  if (groupId === null) {
    return (
      <>
        {header("New source group")}
        <GroupForm host={host} initial={NEW_GROUP} />
      </>
    );
  }
  if (group.isPending) {
    return (
      <>
        {header("Edit source group")}
        <Card className="gap-4 px-6" role="status" aria-label="Loading">
          <Skeleton className="h-9" />
          <Skeleton className="h-24" />
          <Skeleton className="h-24" />
        </Card>
      </>
    );
  }
  if (group.isError || group.data.hostId !== host.id) {
    const gone = group.isSuccess || errorCode(group.error) === "NOT_FOUND";
    return (
      <>
        {header("Edit source group")}
        <Card className="py-0">
          <ErrorState
            title={gone ? "This source group does not exist" : "Could not load the source group"}
            message={gone ? "It may have been deleted. Go back to the list." : describeError(group.error)}
            onRetry={gone ? undefined : () => void group.refetch()}
          />
        </Card>
      </>
    );
  }
  return (
    <>
      {header(
        <>
          Edit <span className="font-mono">{group.data.name}</span>
        </>,
      )}
      <GroupForm host={host} initial={group.data} />
    </>
  );
}

/** The form: its state lives here, the sections only render fields. */
function GroupForm({ host, initial }: { host: Host; initial: GroupDraft }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [errors, setErrors] = useState<FieldErrors>({});
  // Paths and retention as typed, for the conflict check (debounced below).
  const [draft, setDraft] = useState({ includePaths: initial.includePaths, retention: initial.retention, valid: true });
  const settled = useDebouncedValue(draft, 400);

  const conflicts = useQuery({
    ...trpc.sources.conflicts.queryOptions({
      hostId: host.id,
      ...(initial.id ? { groupId: initial.id } : {}),
      includePaths: settled.includePaths,
      retention: settled.retention,
    }),
    enabled: settled.valid && settled.includePaths.length > 0,
    placeholderData: keepPreviousData,
  });
  const shownConflicts = settled.valid && settled.includePaths.length > 0 ? (conflicts.data ?? []) : [];

  const back = () => navigate({ to: "/hosts/$hostId", params: { hostId: host.id }, search: { tab: "sources" } });
  const onSaved = async (name: string) => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.sources.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.hosts.get.queryKey({ hostId: host.id }) }),
    ]);
    toast.success(initial.id ? `Saved the source group ${name}.` : `Created the source group ${name}.`);
    await back();
  };
  const create = useMutation(trpc.sources.create.mutationOptions({ onSuccess: (saved) => onSaved(saved.name) }));
  const update = useMutation(trpc.sources.update.mutationOptions({ onSuccess: (saved) => onSaved(saved.name) }));
  const save = initial.id ? update : create;

  const onChange = (event: React.FormEvent<HTMLFormElement>) => {
    const read = readGroupForm(event.currentTarget);
    setDraft({ includePaths: read.input.includePaths, retention: read.input.retention, valid: isCheckable(read) });
  };

  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const { input, errors: numberErrors } = readGroupForm(event.currentTarget);
    const parsed = ZSourceGroupFields.safeParse(input);
    const next = { ...fieldErrorsOf(parsed), ...numberErrors };
    // Retention issues come back as retention.keepDaily; the inputs are named keepDaily.
    for (const [key, message] of Object.entries(next)) {
      if (key.startsWith("retention.")) next[key.slice("retention.".length)] ??= message;
    }
    setErrors(next);
    if (!parsed.success || Object.keys(numberErrors).length) return;
    if (initial.id) update.mutate({ groupId: initial.id, ...parsed.data });
    else create.mutate({ hostId: host.id, ...parsed.data });
  };

  const id = initial.id ? `source-${initial.id}` : "source-new";
  return (
    <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,1fr)_18rem]">
      <Card className="gap-5">
        <form
          className="grid gap-5"
          onSubmit={onSubmit}
          onChange={onChange}
          noValidate
          aria-label={initial.id ? `Edit ${initial.name}` : "New source group"}
        >
          <WhatToBackUpSection id={id} initial={initial} errors={errors} conflicts={shownConflicts} />
          <RetentionSection id={id} initial={initial} errors={errors} />
          <RetrySection id={id} initial={initial} errors={errors} />
          <HooksSection id={id} initial={initial} errors={errors} />

          <TabFormFooter
            hostId={host.id}
            tab="sources"
            errorTitle={initial.id ? "Could not save the source group" : "Could not create the source group"}
            error={save.error ? describeError(save.error) : null}
            pending={save.isPending}
            submitLabel={initial.id ? "Save changes" : "Create group"}
          />
        </form>
      </Card>
      <UsedBy host={host} usedBy={initial.usedBy} isNew={!initial.id} />
    </div>
  );
}
