import { Card } from "@restic-manager/ui/card";
import { Checkbox } from "@restic-manager/ui/checkbox";
import { cn } from "@restic-manager/ui/cn";
import { Label } from "@restic-manager/ui/label";
import { Skeleton } from "@restic-manager/ui/skeleton";
import { Switch } from "@restic-manager/ui/switch";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { FolderTreeIcon } from "lucide-react";
import type * as React from "react";
import { useState } from "react";
import { toast } from "sonner";
import { ErrorState } from "../../../components/status-screens";
import { describeError, errorCode } from "../../../lib/errors";
import { useTRPC } from "../../../lib/trpc";
import { type FieldErrors, serverFieldError } from "../../../lib/validation";
import { FormSection, TabFormFooter, TabFormHeader } from "../tab-form";
import type { Host } from "../types";
import { CronField } from "./cron-field";

interface ScheduleDraft {
  id?: string;
  cron: string;
  enabled: boolean;
  sourceGroupIds: string[];
}

/** `?tab=schedules&edit=new|<id>`: when, which groups, on or paused. */
export function ScheduleForm({ host, scheduleId }: { host: Host; scheduleId: string | null }) {
  const trpc = useTRPC();
  const schedule = useQuery({
    ...trpc.schedules.get.queryOptions({ scheduleId: scheduleId ?? "" }),
    enabled: scheduleId !== null,
  });
  const groups = useQuery({ ...trpc.sources.list.queryOptions({ hostId: host.id }), select: (page) => page.items });
  const header = (
    <TabFormHeader
      hostId={host.id}
      tab="schedules"
      back="Schedules"
      title={scheduleId ? "Edit schedule" : "New schedule"}
      description={`The agent backs up the picked source groups at each time the cron names, in the host's time zone (${host.timezone}).`}
    />
  );
  const failed = (scheduleId !== null && schedule.isError) || groups.isError;
  if (failed || (schedule.isSuccess && schedule.data.hostId !== host.id)) {
    const gone = schedule.isSuccess || errorCode(schedule.error) === "NOT_FOUND";
    return (
      <>
        {header}
        <Card className="py-0">
          <ErrorState
            title={gone ? "This schedule does not exist" : "Could not load the schedule"}
            message={
              gone ? "It may have been deleted. Go back to the list." : describeError(schedule.error ?? groups.error)
            }
            onRetry={
              gone
                ? undefined
                : () => {
                    void schedule.refetch();
                    void groups.refetch();
                  }
            }
          />
        </Card>
      </>
    );
  }
  if ((scheduleId !== null && !schedule.data) || !groups.data) {
    return (
      <>
        {header}
        <Card className="gap-4 px-6" role="status" aria-label="Loading">
          <Skeleton className="h-9 max-w-sm" />
          <Skeleton className="h-16" />
          <Skeleton className="h-16" />
        </Card>
      </>
    );
  }
  const initial: ScheduleDraft = schedule.data
    ? {
        id: schedule.data.id,
        cron: schedule.data.cron,
        enabled: schedule.data.enabled,
        sourceGroupIds: schedule.data.sourceGroupIds,
      }
    : // A host with one group: that group is the obvious pick.
      {
        cron: "0 2 * * *",
        enabled: true,
        sourceGroupIds: groups.data.length === 1 ? groups.data.map((g) => g.id) : [],
      };
  return (
    <>
      {header}
      <Form host={host} initial={initial} groups={groups.data} />
    </>
  );
}

function Form({
  host,
  initial,
  groups,
}: {
  host: Host;
  initial: ScheduleDraft;
  groups: { id: string; name: string; includePaths: string[] }[];
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const presets = useQuery(trpc.schedules.presets.queryOptions());
  const [cron, setCron] = useState(initial.cron);
  const [enabled, setEnabled] = useState(initial.enabled);
  const [picked, setPicked] = useState<string[]>(initial.sourceGroupIds);
  const [errors, setErrors] = useState<FieldErrors>({});

  const onSaved = async () => {
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.schedules.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.hosts.get.queryKey({ hostId: host.id }) }),
      // Every page, search and filter of the host list (the dashboard's too).
      queryClient.invalidateQueries({ queryKey: trpc.hosts.list.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.sources.get.pathKey() }),
    ]);
    toast.success(initial.id ? "Saved the schedule." : "Created the schedule. The agent arms it within seconds.");
    await navigate({ to: "/hosts/$hostId", params: { hostId: host.id }, search: { tab: "schedules" } });
  };
  // A refusal that names a field goes beside it; anything else above the buttons.
  const onError = (error: unknown) =>
    setErrors(serverFieldError(describeError(error), ["cron", "sourceGroupIds"]) ?? {});
  const create = useMutation(trpc.schedules.create.mutationOptions({ onSuccess: onSaved, onError }));
  const update = useMutation(trpc.schedules.update.mutationOptions({ onSuccess: onSaved, onError }));
  const save = initial.id ? update : create;
  const formError = save.error && Object.keys(errors).length === 0 ? describeError(save.error) : null;

  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const next: FieldErrors = {};
    if (!cron.trim()) next.cron = "Enter a cron expression, e.g. 0 2 * * * for 02:00 every day.";
    if (picked.length === 0) next.sourceGroupIds = "Pick at least one source group.";
    setErrors(next);
    if (Object.keys(next).length) return;
    const fields = { cron: cron.trim(), enabled, sourceGroupIds: picked };
    if (initial.id) update.mutate({ scheduleId: initial.id, ...fields });
    else create.mutate({ hostId: host.id, ...fields });
  };

  const toggle = (groupId: string, on: boolean) =>
    setPicked((current) => (on ? [...current, groupId] : current.filter((id) => id !== groupId)));

  return (
    <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,1fr)_18rem]">
      <Card className="gap-5">
        <form
          className="grid gap-5"
          onSubmit={onSubmit}
          noValidate
          aria-label={initial.id ? "Edit schedule" : "New schedule"}
        >
          <FormSection title="When">
            <CronField
              id="schedule-cron"
              hostId={host.id}
              label="Cron expression"
              value={cron}
              onChange={(value) => {
                setCron(value);
                if (errors.cron) setErrors(({ cron: _, ...rest }) => rest);
              }}
              error={errors.cron}
              presets={presets.data}
              hint="Five fields (minute hour day month weekday), or six with seconds first."
            />
          </FormSection>
          <FormSection
            title="Source groups"
            hint="Each picked group is backed up on its own at every slot, one after another."
          >
            <fieldset
              aria-label="Source groups"
              aria-invalid={Boolean(errors.sourceGroupIds)}
              className="grid gap-2 sm:grid-cols-2"
            >
              {groups.map((group) => {
                const checked = picked.includes(group.id);
                const id = `schedule-group-${group.id}`;
                return (
                  <Label
                    key={group.id}
                    htmlFor={id}
                    className={cn(
                      "flex cursor-pointer items-start gap-3 rounded-lg border p-3 font-normal transition-colors hover:bg-accent/50",
                      checked && "border-primary/60 bg-primary/5",
                    )}
                  >
                    <Checkbox
                      id={id}
                      checked={checked}
                      onCheckedChange={(value) => toggle(group.id, value === true)}
                      className="mt-0.5"
                    />
                    <span className="grid min-w-0 gap-0.5">
                      <span className="flex items-center gap-1.5 font-medium font-mono text-[13px]">
                        <FolderTreeIcon className="size-3.5 text-muted-foreground" aria-hidden="true" />
                        {group.name}
                      </span>
                      <span className="truncate text-muted-foreground text-xs" title={group.includePaths.join("\n")}>
                        {group.includePaths.length === 0 ? "No paths yet" : group.includePaths.join(", ")}
                      </span>
                    </span>
                  </Label>
                );
              })}
            </fieldset>
            {errors.sourceGroupIds && <p className="text-destructive text-sm">{errors.sourceGroupIds}</p>}
          </FormSection>
          <FormSection title="State">
            <div className="flex items-start gap-3">
              <Switch id="schedule-enabled" checked={enabled} onCheckedChange={setEnabled} className="mt-0.5" />
              <div className="grid gap-0.5">
                <Label htmlFor="schedule-enabled">Enabled</Label>
                <p className="text-muted-foreground text-xs">
                  A paused schedule keeps its settings but does not fire; its missed slots are not caught up.
                </p>
              </div>
            </div>
          </FormSection>
          <TabFormFooter
            hostId={host.id}
            tab="schedules"
            errorTitle={initial.id ? "Could not save the schedule" : "Could not create the schedule"}
            error={formError}
            pending={save.isPending}
            submitLabel={initial.id ? "Save changes" : "Create schedule"}
          />
        </form>
      </Card>
      <aside aria-labelledby="schedule-help" className="rounded-xl border border-dashed p-5 text-sm">
        <h3 id="schedule-help" className="font-medium">
          How schedules run
        </h3>
        <ul className="mt-3 grid list-disc gap-2 pl-4 text-muted-foreground leading-relaxed">
          <li>The agent keeps the schedule and fires it even while the console is unreachable.</li>
          <li>Times are the host's: {host.timezone}.</li>
          <li>A slot missed while the host was offline runs once when it is back, retried per the group's settings.</li>
        </ul>
      </aside>
    </div>
  );
}
