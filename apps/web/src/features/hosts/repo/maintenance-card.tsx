import { Badge } from "@restic-manager/ui/badge";
import { Button } from "@restic-manager/ui/button";
import { Card, CardDescription, CardFooter, CardHeader, CardTitle } from "@restic-manager/ui/card";
import { Input } from "@restic-manager/ui/input";
import { Label } from "@restic-manager/ui/label";
import { Switch } from "@restic-manager/ui/switch";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { LoaderCircleIcon, WrenchIcon } from "lucide-react";
import type * as React from "react";
import { useState } from "react";
import { toast } from "sonner";
import { FormAlert } from "../../../components/form-alert";
import { FormField } from "../../../components/form-field";
import { describeError } from "../../../lib/errors";
import { useTRPC } from "../../../lib/trpc";
import { type FieldErrors, formValues, optionalNumber, serverFieldError } from "../../../lib/validation";
import { CronField } from "../schedules/cron-field";
import type { Host } from "../types";
import type { Overview } from "./overview";

const MAINTENANCE = [
  {
    key: "forgetCron",
    label: "Forget",
    hint: "Removes snapshots each source group's retention no longer keeps.",
  },
  { key: "pruneCron", label: "Prune", hint: "Frees the space forgotten snapshots used. Slow on large repositories." },
  { key: "checkCron", label: "Check", hint: "Verifies the repository, reading the share of the data set below." },
] as const;
type CronKey = (typeof MAINTENANCE)[number]["key"];

/** The host's forget, prune and check cadences, run by the console's maintenance ticker. */
export function MaintenanceCard({ host, overview, canEdit }: { host: Host; overview: Overview; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const saved = overview.maintenance;
  const [crons, setCrons] = useState<Record<CronKey, string>>({
    forgetCron: saved.forgetCron ?? "",
    pruneCron: saved.pruneCron ?? "",
    checkCron: saved.checkCron ?? "",
  });
  const [enabled, setEnabled] = useState(saved.enabled);
  const [errors, setErrors] = useState<FieldErrors>({});
  const update = useMutation(
    trpc.repo.updateMaintenance.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.repo.overview.queryKey({ hostId: host.id }) });
        toast.success("Saved the maintenance schedule.");
      },
      onError: (error) =>
        setErrors(serverFieldError(describeError(error), [...MAINTENANCE.map((m) => m.key), "checkSubsetPct"]) ?? {}),
    }),
  );
  const formError = update.error && Object.keys(errors).length === 0 ? describeError(update.error) : null;

  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const pct = optionalNumber(formValues(event.currentTarget).checkSubsetPct) ?? 0;
    if (!Number.isInteger(pct) || pct < 0 || pct > 100) {
      setErrors({ checkSubsetPct: "A whole percentage from 0 (metadata only) to 100 (all data)." });
      return;
    }
    setErrors({});
    update.mutate({
      hostId: host.id,
      enabled,
      forgetCron: crons.forgetCron.trim() || null,
      pruneCron: crons.pruneCron.trim() || null,
      checkCron: crons.checkCron.trim() || null,
      checkSubsetPct: pct,
    });
  };

  return (
    <Card className="gap-5">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <WrenchIcon className="size-4 text-muted-foreground" aria-hidden="true" />
          Maintenance
          {!saved.saved && (
            <Badge variant="secondary" className="font-normal">
              Defaults
            </Badge>
          )}
        </CardTitle>
        <CardDescription>
          The console starts forget, prune and check on these cadences while the host is online, in its time zone (
          {saved.timezone}). Empty runs it only when you press Run now.
        </CardDescription>
      </CardHeader>
      <form onSubmit={onSubmit} noValidate aria-label="Maintenance" className="grid gap-5">
        <fieldset disabled={!canEdit} className="grid gap-5 px-6">
          <div className="flex items-start gap-3">
            <Switch id="maintenance-enabled" checked={enabled} onCheckedChange={setEnabled} className="mt-0.5" />
            <div className="grid gap-0.5">
              <Label htmlFor="maintenance-enabled">Scheduled maintenance</Label>
              <p className="text-muted-foreground text-xs">Off pauses all three cadences; Run now still works.</p>
            </div>
          </div>
          {MAINTENANCE.map(({ key, label, hint }) => (
            <CronField
              key={key}
              id={`maintenance-${key}`}
              hostId={host.id}
              label={label}
              value={crons[key]}
              onChange={(value) => setCrons((current) => ({ ...current, [key]: value }))}
              error={errors[key]}
              optional="Empty: only when you press Run now."
              hint={hint}
            />
          ))}
          <FormField
            id="maintenance-subset"
            label="Check reads (% of the data)"
            error={errors.checkSubsetPct}
            hint="0 checks the structure only; 100 reads every pack file. A few percent each time covers all data over a few weeks."
          >
            {(aria) => (
              <Input
                {...aria}
                name="checkSubsetPct"
                defaultValue={String(saved.checkSubsetPct)}
                inputMode="numeric"
                autoComplete="off"
                className="max-w-24 tabular-nums"
              />
            )}
          </FormField>
          <FormAlert title="Could not save the maintenance schedule" message={formError} />
        </fieldset>
        {canEdit && (
          <CardFooter className="justify-end border-t pt-5">
            <Button type="submit" disabled={update.isPending}>
              {update.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
              Save maintenance
            </Button>
          </CardFooter>
        )}
      </form>
    </Card>
  );
}
