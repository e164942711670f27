/**
 * The sections of the source group form: what to back up, retention, retry on offline, hooks;
 * and the aside naming the schedules that back the group up. Sections render the fields with
 * their saved values and the errors they are given; the form in source-group-form.tsx reads
 * and checks what was typed.
 */
import { Alert, AlertDescription, AlertTitle } from "@restic-manager/ui/alert";
import { Badge } from "@restic-manager/ui/badge";
import { Input } from "@restic-manager/ui/input";
import { Textarea } from "@restic-manager/ui/textarea";
import { Link } from "@tanstack/react-router";
import type { inferOutput } from "@trpc/tanstack-react-query";
import { ShieldAlertIcon, TriangleAlertIcon } from "lucide-react";
import { FormField } from "../../../components/form-field";
import type { Trpc } from "../../../lib/trpc";
import type { FieldErrors } from "../../../lib/validation";
import { FormSection } from "../tab-form";
import type { Host } from "../types";
import { type GroupDraft, KEEP_FIELDS } from "./group-draft";

export type RetentionConflict = inferOutput<Trpc["sources"]["conflicts"]>[number];

interface SectionProps {
  /** Prefix of the field ids, one per form on the page. */
  id: string;
  initial: GroupDraft;
  errors: FieldErrors;
}

/** A monospace textarea for one path, pattern or shell line per line. */
function LinesField({
  id,
  label,
  hint,
  error,
  name,
  defaultValue,
  placeholder,
  rows,
  minHeight,
}: {
  id: string;
  label: string;
  hint: string;
  error: string | undefined;
  name: string;
  defaultValue: string;
  placeholder?: string;
  rows: number;
  minHeight: "min-h-24" | "min-h-20";
}) {
  return (
    <FormField id={id} label={label} error={error} hint={hint}>
      {(aria) => (
        <Textarea
          {...aria}
          name={name}
          defaultValue={defaultValue}
          placeholder={placeholder}
          rows={rows}
          spellCheck={false}
          autoCapitalize="none"
          className={`max-h-64 ${minHeight} font-mono`}
        />
      )}
    </FormField>
  );
}

/** A short whole-number input (retries, seconds). */
function WholeNumberField({
  id,
  label,
  hint,
  error,
  name,
  defaultValue,
}: {
  id: string;
  label: string;
  hint: string;
  error: string | undefined;
  name: string;
  defaultValue: number;
}) {
  return (
    <FormField id={id} label={label} error={error} hint={hint}>
      {(aria) => (
        <Input
          {...aria}
          name={name}
          defaultValue={String(defaultValue)}
          inputMode="numeric"
          autoComplete="off"
          className="max-w-32 tabular-nums"
        />
      )}
    </FormField>
  );
}

export function WhatToBackUpSection({
  id,
  initial,
  errors,
  conflicts,
}: SectionProps & { conflicts: RetentionConflict[] }) {
  return (
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
        <LinesField
          id={`${id}-paths`}
          label="Paths"
          error={errors.includePaths}
          hint="One absolute path per line, e.g. /etc or C:\Users. Directories are backed up with everything under them."
          name="includePaths"
          defaultValue={initial.includePaths.join("\n")}
          placeholder={"/etc\n/home\n/var/lib/postgresql"}
          rows={4}
          minHeight="min-h-24"
        />
        <LinesField
          id={`${id}-excludes`}
          label="Exclude patterns"
          error={errors.excludePatterns}
          hint="Optional. One restic --exclude pattern per line, e.g. *.tmp or /home/*/.cache."
          name="excludePatterns"
          defaultValue={initial.excludePatterns.join("\n")}
          placeholder={"*.tmp\n/home/*/.cache"}
          rows={4}
          minHeight="min-h-24"
        />
      </div>
      <ConflictBanner conflicts={conflicts} />
    </FormSection>
  );
}

export function RetentionSection({ id, initial, errors }: SectionProps) {
  const keepDefault = (value: number | null) => (value === null ? "" : String(value));
  return (
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
  );
}

export function RetrySection({ id, initial, errors }: SectionProps) {
  return (
    <FormSection
      title="Retry on offline"
      hint="When a scheduled run finds the host offline, the console tries again, waiting twice as long each time (at most 30 minutes)."
    >
      <div className="grid items-start gap-4 sm:grid-cols-2">
        <WholeNumberField
          id={`${id}-retryMax`}
          label="Retries"
          error={errors.retryMax}
          hint="0 to 100; 0 gives up at once."
          name="retryMax"
          defaultValue={initial.retryMax}
        />
        <WholeNumberField
          id={`${id}-retryBackoff`}
          label="First backoff (seconds)"
          error={errors.retryBackoffSeconds}
          hint="10 to 86400, e.g. 300 for five minutes."
          name="retryBackoffSeconds"
          defaultValue={initial.retryBackoffSeconds}
        />
      </div>
    </FormSection>
  );
}

export function HooksSection({ id, initial, errors }: SectionProps) {
  return (
    <FormSection
      title="Hooks"
      hint="Shell commands around each backup of this group: a failing pre-backup hook skips the backup; the post-backup hook always runs, with RM_JOB_STATUS=succeeded or failed."
    >
      <Alert variant="warning">
        <ShieldAlertIcon aria-hidden="true" />
        <AlertTitle>Hooks run as the agent's service user</AlertTitle>
        <AlertDescription>
          That is root on Linux and SYSTEM on Windows. Anyone who may edit this group can run commands with those rights
          on the host. They are stored encrypted.
        </AlertDescription>
      </Alert>
      <div className="grid items-start gap-5 md:grid-cols-2">
        <LinesField
          id={`${id}-preHook`}
          label="Pre-backup hook"
          error={errors.preHook}
          hint="Optional, e.g. pg_dumpall > /var/backups/pg.sql"
          name="preHook"
          defaultValue={initial.preHook ?? ""}
          rows={3}
          minHeight="min-h-20"
        />
        <LinesField
          id={`${id}-postHook`}
          label="Post-backup hook"
          error={errors.postHook}
          hint="Optional, e.g. rm -f /var/backups/pg.sql"
          name="postHook"
          defaultValue={initial.postHook ?? ""}
          rows={3}
          minHeight="min-h-20"
        />
      </div>
      <WholeNumberField
        id={`${id}-hookTimeout`}
        label="Hook timeout (seconds)"
        error={errors.hookTimeoutSeconds}
        hint="Each hook is stopped after this long, 1 to 86400."
        name="hookTimeoutSeconds"
        defaultValue={initial.hookTimeoutSeconds}
      />
    </FormSection>
  );
}

/** Paths shared with another group that keeps its snapshots by other rules: both policies apply to them. */
function ConflictBanner({ conflicts }: { conflicts: RetentionConflict[] }) {
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

/** The aside: which schedules back this group up, each linking to its edit page. */
export function UsedBy({
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
