import { ZRetention, ZSourceGroupFields } from "@restic-manager/api/schemas";
import { Alert, AlertDescription, AlertTitle } from "@restic-manager/ui/alert";
import { Badge } from "@restic-manager/ui/badge";
import { Card } from "@restic-manager/ui/card";
import { Input } from "@restic-manager/ui/input";
import { Skeleton } from "@restic-manager/ui/skeleton";
import { Textarea } from "@restic-manager/ui/textarea";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { ShieldAlertIcon, TriangleAlertIcon } from "lucide-react";
import type * as React from "react";
import { useState } from "react";
import { toast } from "sonner";
import { FormField } from "../../components/form-field";
import { ErrorState } from "../../components/status-screens";
import { describeError, errorCode } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { useDebouncedValue } from "../../lib/use-debounced";
import { type FieldErrors, fieldErrorsOf, formValues, optionalNumber } from "../../lib/validation";
import { FormSection, TabFormFooter, TabFormHeader } from "./tab-form";
import type { Host } from "./types";

/** One entry per line; blank lines and surrounding spaces do not count. */
export function linesOf(text: string | undefined): string[] {
  return (text ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

const KEEP_FIELDS = [
  ["keepLast", "Keep last"],
  ["keepHourly", "Hourly"],
  ["keepDaily", "Daily"],
  ["keepWeekly", "Weekly"],
  ["keepMonthly", "Monthly"],
  ["keepYearly", "Yearly"],
] as const;

type Retention = {
  keepLast: number | null;
  keepHourly: number | null;
  keepDaily: number | null;
  keepWeekly: number | null;
  keepMonthly: number | null;
  keepYearly: number | null;
  keepWithin: string | null;
};

/** The group as the form holds it (the server's shape, with the hook text). */
interface GroupDraft {
  id?: string;
  name: string;
  includePaths: string[];
  excludePatterns: string[];
  retention: Retention;
  retryMax: number;
  retryBackoffSeconds: number;
  hookTimeoutSeconds: number;
  preHook: string | null;
  postHook: string | null;
  usedBy?: { id: string; cron: string; enabled: boolean }[];
}

const NEW_GROUP: GroupDraft = {
  name: "",
  includePaths: [],
  excludePatterns: [],
  retention: {
    keepLast: null,
    keepHourly: null,
    keepDaily: 7,
    keepWeekly: 4,
    keepMonthly: 6,
    keepYearly: null,
    keepWithin: null,
  },
  retryMax: 5,
  retryBackoffSeconds: 300,
  hookTimeoutSeconds: 300,
  preHook: null,
  postHook: null,
};

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

/** The fields as typed, checked: numbers that are not whole numbers are named here, zod does the rest. */
function readForm(form: HTMLFormElement) {
  const values = formValues(form);
  const errors: FieldErrors = {};
  const whole = (key: string, message: string, fallback?: number) => {
    const n = optionalNumber(values[key]);
    if (n === null) return fallback ?? null;
    if (!Number.isInteger(n)) errors[key] = message;
    return n;
  };
  const retention = Object.fromEntries(
    KEEP_FIELDS.map(([key]) => [key, whole(key, "A whole number from 1, or empty.")]),
  ) as Omit<Retention, "keepWithin">;
  const keepWithin = values.keepWithin?.trim() || null;
  const keepWithinCheck = ZRetention.shape.keepWithin.safeParse(keepWithin);
  if (!keepWithinCheck.success) errors.keepWithin = keepWithinCheck.error.issues[0]?.message ?? "";
  const retryMax = whole("retryMax", "A whole number of retries, 0 to 100.", 5) ?? 5;
  const retryBackoffSeconds = whole("retryBackoffSeconds", "Whole seconds, 10 to 86400.", 300) ?? 300;
  const hookTimeoutSeconds = whole("hookTimeoutSeconds", "Whole seconds, 1 to 86400.", 300) ?? 300;
  if (retryMax < 0 || retryMax > 100) errors.retryMax ??= "0 to 100 retries.";
  if (retryBackoffSeconds < 10 || retryBackoffSeconds > 86_400) errors.retryBackoffSeconds ??= "10 to 86400 seconds.";
  if (hookTimeoutSeconds < 1 || hookTimeoutSeconds > 86_400) errors.hookTimeoutSeconds ??= "1 to 86400 seconds.";
  return {
    errors,
    input: {
      name: values.name ?? "",
      includePaths: linesOf(values.includePaths),
      excludePatterns: linesOf(values.excludePatterns),
      retention: { ...retention, keepWithin },
      retryMax,
      retryBackoffSeconds,
      hookTimeoutSeconds,
      preHook: values.preHook ?? "",
      postHook: values.postHook ?? "",
    },
  };
}

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
    const { input, errors: numberErrors } = readForm(event.currentTarget);
    const valid =
      Object.keys(numberErrors).length === 0 &&
      KEEP_FIELDS.every(([key]) => input.retention[key] === null || (input.retention[key] ?? 0) >= 1);
    setDraft({ includePaths: input.includePaths, retention: input.retention, valid });
  };

  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const { input, errors: numberErrors } = readForm(event.currentTarget);
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
  const keepDefault = (value: number | null) => (value === null ? "" : String(value));
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
          <FormSection title="What to back up">
            <FormField
              id={`${id}-name`}
              label="Name"
              error={errors.name}
              hint="Letters, digits, dot, underscore or hyphen, e.g. etc or databases. It is the snapshots' tag."
            >
              {(aria) => (
                <Input
                  {...aria}
                  name="name"
                  defaultValue={initial.name}
                  autoComplete="off"
                  autoCapitalize="none"
                  spellCheck={false}
                  maxLength={64}
                  className="max-w-sm font-mono"
                  autoFocus={!initial.id}
                />
              )}
            </FormField>
            <div className="grid items-start gap-5 md:grid-cols-2">
              <FormField
                id={`${id}-paths`}
                label="Paths"
                error={errors.includePaths}
                hint="One absolute path per line, e.g. /etc or C:\Users. Directories are backed up with everything under them."
              >
                {(aria) => (
                  <Textarea
                    {...aria}
                    name="includePaths"
                    defaultValue={initial.includePaths.join("\n")}
                    placeholder={"/etc\n/home\n/var/lib/postgresql"}
                    rows={4}
                    spellCheck={false}
                    autoCapitalize="none"
                    className="max-h-64 min-h-24 font-mono"
                  />
                )}
              </FormField>
              <FormField
                id={`${id}-excludes`}
                label="Exclude patterns"
                error={errors.excludePatterns}
                hint="Optional. One restic --exclude pattern per line, e.g. *.tmp or /home/*/.cache."
              >
                {(aria) => (
                  <Textarea
                    {...aria}
                    name="excludePatterns"
                    defaultValue={initial.excludePatterns.join("\n")}
                    placeholder={"*.tmp\n/home/*/.cache"}
                    rows={4}
                    spellCheck={false}
                    autoCapitalize="none"
                    className="max-h-64 min-h-24 font-mono"
                  />
                )}
              </FormField>
            </div>
            <ConflictBanner conflicts={shownConflicts} />
          </FormSection>

          <FormSection
            title="Retention"
            hint="What forget keeps of this group's snapshots (restic forget --keep-*). Empty fields are not used; all empty keeps everything."
          >
            <div className="grid grid-cols-2 items-start gap-4 sm:grid-cols-3">
              {KEEP_FIELDS.map(([key, label]) => (
                <FormField key={key} id={`${id}-${key}`} label={label} error={errors[key]}>
                  {(aria) => (
                    <Input
                      {...aria}
                      name={key}
                      defaultValue={keepDefault(initial.retention[key])}
                      inputMode="numeric"
                      autoComplete="off"
                      placeholder="—"
                      className="tabular-nums"
                    />
                  )}
                </FormField>
              ))}
            </div>
            <FormField
              id={`${id}-keepWithin`}
              label="Keep within"
              error={errors.keepWithin}
              hint="Optional. Keeps every snapshot younger than this, e.g. 30d, 12h or 1y6m."
            >
              {(aria) => (
                <Input
                  {...aria}
                  name="keepWithin"
                  defaultValue={initial.retention.keepWithin ?? ""}
                  autoComplete="off"
                  spellCheck={false}
                  placeholder="30d"
                  className="max-w-40 font-mono"
                />
              )}
            </FormField>
          </FormSection>

          <FormSection
            title="Retry on offline"
            hint="When a scheduled run finds the host offline, the console tries again, waiting twice as long each time (at most 30 minutes)."
          >
            <div className="grid items-start gap-4 sm:grid-cols-2">
              <FormField
                id={`${id}-retryMax`}
                label="Retries"
                error={errors.retryMax}
                hint="0 to 100; 0 gives up at once."
              >
                {(aria) => (
                  <Input
                    {...aria}
                    name="retryMax"
                    defaultValue={String(initial.retryMax)}
                    inputMode="numeric"
                    autoComplete="off"
                    className="max-w-32 tabular-nums"
                  />
                )}
              </FormField>
              <FormField
                id={`${id}-retryBackoff`}
                label="First backoff (seconds)"
                error={errors.retryBackoffSeconds}
                hint="10 to 86400, e.g. 300 for five minutes."
              >
                {(aria) => (
                  <Input
                    {...aria}
                    name="retryBackoffSeconds"
                    defaultValue={String(initial.retryBackoffSeconds)}
                    inputMode="numeric"
                    autoComplete="off"
                    className="max-w-32 tabular-nums"
                  />
                )}
              </FormField>
            </div>
          </FormSection>

          <FormSection
            title="Hooks"
            hint="Shell commands around each backup of this group: a failing pre-backup hook skips the backup; the post-backup hook always runs, with RM_JOB_STATUS=succeeded or failed."
          >
            <Alert variant="warning">
              <ShieldAlertIcon aria-hidden="true" />
              <AlertTitle>Hooks run as the agent's service user</AlertTitle>
              <AlertDescription>
                That is root on Linux and SYSTEM on Windows. Anyone who may edit this group can run commands with those
                rights on the host. They are stored encrypted.
              </AlertDescription>
            </Alert>
            <div className="grid items-start gap-5 md:grid-cols-2">
              <FormField
                id={`${id}-preHook`}
                label="Pre-backup hook"
                error={errors.preHook}
                hint="Optional, e.g. pg_dumpall > /var/backups/pg.sql"
              >
                {(aria) => (
                  <Textarea
                    {...aria}
                    name="preHook"
                    defaultValue={initial.preHook ?? ""}
                    rows={3}
                    spellCheck={false}
                    autoCapitalize="none"
                    className="max-h-64 min-h-20 font-mono"
                  />
                )}
              </FormField>
              <FormField
                id={`${id}-postHook`}
                label="Post-backup hook"
                error={errors.postHook}
                hint="Optional, e.g. rm -f /var/backups/pg.sql"
              >
                {(aria) => (
                  <Textarea
                    {...aria}
                    name="postHook"
                    defaultValue={initial.postHook ?? ""}
                    rows={3}
                    spellCheck={false}
                    autoCapitalize="none"
                    className="max-h-64 min-h-20 font-mono"
                  />
                )}
              </FormField>
            </div>
            <FormField
              id={`${id}-hookTimeout`}
              label="Hook timeout (seconds)"
              error={errors.hookTimeoutSeconds}
              hint="Each hook is stopped after this long, 1 to 86400."
            >
              {(aria) => (
                <Input
                  {...aria}
                  name="hookTimeoutSeconds"
                  defaultValue={String(initial.hookTimeoutSeconds)}
                  inputMode="numeric"
                  autoComplete="off"
                  className="max-w-32 tabular-nums"
                />
              )}
            </FormField>
          </FormSection>

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

/** Paths shared with another group that keeps its snapshots by other rules: both policies apply to them. */
function ConflictBanner({
  conflicts,
}: {
  conflicts: {
    groupId: string;
    groupName: string;
    overlaps: [string, string][];
    thisRetention: string;
    otherRetention: string;
  }[];
}) {
  if (conflicts.length === 0) return null;
  return (
    <Alert variant="warning" data-testid="retention-conflict">
      <TriangleAlertIcon aria-hidden="true" />
      <AlertTitle>Paths overlap with a group that keeps snapshots differently</AlertTitle>
      <AlertDescription>
        {conflicts.map((conflict) => (
          <div key={conflict.groupId} className="grid gap-1">
            <p>
              <span className="font-medium font-mono text-foreground">{conflict.groupName}</span> also backs up{" "}
              {conflict.overlaps.map(([, theirs], index) => (
                <span key={theirs}>
                  {index > 0 && ", "}
                  <code className="font-mono text-xs">{theirs}</code>
                </span>
              ))}
              . Its retention: <em>{conflict.otherRetention}</em>; this group's: <em>{conflict.thisRetention}</em>.
            </p>
          </div>
        ))}
        <p>
          The same files then live in two snapshot series that forget thins out by different rules. Saving is allowed.
        </p>
      </AlertDescription>
    </Alert>
  );
}

function UsedBy({
  host,
  usedBy,
  isNew,
}: {
  host: Host;
  usedBy: { id: string; cron: string; enabled: boolean }[] | undefined;
  isNew: boolean;
}) {
  return (
    <aside aria-labelledby="used-by-title" className="rounded-xl border border-dashed p-5 text-sm">
      <h3 id="used-by-title" className="font-medium">
        Schedules
      </h3>
      {isNew || !usedBy?.length ? (
        <p className="mt-2 text-muted-foreground leading-relaxed">
          {isNew ? "A new group runs only when you press Run now" : "No schedule backs up this group yet"}, until a
          schedule picks it in the{" "}
          <Link
            to="/hosts/$hostId"
            params={{ hostId: host.id }}
            search={{ tab: "schedules" }}
            className="underline underline-offset-4 hover:text-foreground"
          >
            Schedules tab
          </Link>
          .
        </p>
      ) : (
        <ul className="mt-3 grid gap-2">
          {usedBy.map((schedule) => (
            <li key={schedule.id} className="flex items-center justify-between gap-2">
              <Link
                to="/hosts/$hostId"
                params={{ hostId: host.id }}
                search={{ tab: "schedules", edit: schedule.id }}
                className="truncate font-mono text-[13px] underline-offset-4 hover:underline"
              >
                {schedule.cron}
              </Link>
              <Badge variant={schedule.enabled ? "success" : "secondary"}>
                {schedule.enabled ? "Enabled" : "Paused"}
              </Badge>
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}
