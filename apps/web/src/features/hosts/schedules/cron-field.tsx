import { cn } from "@restic-manager/ui/cn";
import { Input } from "@restic-manager/ui/input";
import { Label } from "@restic-manager/ui/label";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { CalendarClockIcon, CircleAlertIcon } from "lucide-react";
import type * as React from "react";
import { formatInZone } from "../../../lib/format";
import { useTRPC } from "../../../lib/trpc";
import { useDebouncedValue } from "../../../lib/use-debounced";

/**
 * A cron input that explains itself while the operator types: the server's reading of it
 * (schedules.preview, debounced) with the next three fire times in the host's time zone, or
 * why it does not parse. Quick-pick chips fill it in. `optional` makes empty mean "not scheduled".
 */
export function CronField({
  id,
  hostId,
  label,
  value,
  onChange,
  error,
  presets,
  optional,
  hint,
}: {
  id: string;
  hostId: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** A refusal from the server on save, shown in place of the preview. */
  error?: string | undefined;
  presets?: readonly { label: string; cron: string }[] | undefined;
  /** What empty means, when empty is allowed ("Run now only"). */
  optional?: string;
  hint?: React.ReactNode;
}) {
  const trpc = useTRPC();
  const cron = useDebouncedValue(value.trim(), 350);
  const preview = useQuery({
    ...trpc.schedules.preview.queryOptions({ hostId, cron }),
    enabled: cron !== "",
    placeholderData: keepPreviousData,
    staleTime: 10_000,
  });
  const previewId = `${id}-preview`;
  const empty = value.trim() === "";
  const invalid = Boolean(error) || (!empty && preview.data?.valid === false && cron === value.trim());

  return (
    <div className="grid gap-2">
      <Label htmlFor={id}>{label}</Label>
      <Input
        id={id}
        value={value}
        onChange={(event) => onChange(event.currentTarget.value)}
        aria-invalid={invalid}
        aria-describedby={previewId}
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
        maxLength={128}
        placeholder={optional ? "Empty: not scheduled" : "0 2 * * *"}
        className="max-w-sm font-mono"
      />
      {presets && presets.length > 0 && (
        <fieldset className="flex flex-wrap gap-1.5" aria-label="Quick picks">
          {presets.map((preset) => (
            <button
              key={preset.cron}
              type="button"
              title={`${preset.label}: ${preset.cron}`}
              aria-pressed={value.trim() === preset.cron}
              onClick={() => onChange(preset.cron)}
              className={cn(
                "cursor-pointer rounded-full border px-2.5 py-0.5 text-xs outline-none transition-colors hover:bg-accent focus-visible:ring-[3px] focus-visible:ring-ring/50",
                value.trim() === preset.cron && "border-primary bg-primary/10 text-foreground",
              )}
            >
              {preset.label}
            </button>
          ))}
        </fieldset>
      )}
      <div id={previewId} aria-live="polite" className="min-h-5 text-sm">
        {error ? (
          <p className="flex items-start gap-1.5 text-destructive">
            <CircleAlertIcon className="mt-0.5 size-3.5 shrink-0" aria-hidden="true" />
            {error}
          </p>
        ) : empty ? (
          <p className="text-muted-foreground text-xs">{optional ?? "Enter a cron expression."}</p>
        ) : preview.data?.valid === false ? (
          <p className="flex items-start gap-1.5 text-destructive">
            <CircleAlertIcon className="mt-0.5 size-3.5 shrink-0" aria-hidden="true" />
            {preview.data.error.replace(/^cron: /, "")}
          </p>
        ) : preview.data?.valid ? (
          <CronPreview
            description={preview.data.description}
            next={preview.data.next}
            timezone={preview.data.timezone}
            stale={cron !== value.trim() || preview.isPlaceholderData}
          />
        ) : (
          <p className="text-muted-foreground text-xs">Reading the expression…</p>
        )}
      </div>
      {hint && <p className="text-muted-foreground text-xs leading-relaxed">{hint}</p>}
    </div>
  );
}

function CronPreview({
  description,
  next,
  timezone,
  stale,
}: {
  description: string;
  next: number[];
  timezone: string;
  stale: boolean;
}) {
  return (
    <div className={cn("grid gap-1 transition-opacity", stale && "opacity-60")} data-testid="cron-preview">
      <p className="flex items-center gap-1.5 font-medium">
        <CalendarClockIcon className="size-3.5 text-muted-foreground" aria-hidden="true" />
        {description}
      </p>
      <p className="text-muted-foreground text-xs">
        Next:{" "}
        {next.map((at, index) => (
          <span key={at}>
            {index > 0 && " · "}
            <time dateTime={new Date(at).toISOString()} className="tabular-nums">
              {formatInZone(at, timezone)}
            </time>
          </span>
        ))}{" "}
        <span className="whitespace-nowrap">({timezone})</span>
      </p>
    </div>
  );
}
