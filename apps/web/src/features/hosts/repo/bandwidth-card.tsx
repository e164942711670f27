import { Button } from "@restic-manager/ui/button";
import { Card, CardDescription, CardFooter, CardHeader, CardTitle } from "@restic-manager/ui/card";
import { Input } from "@restic-manager/ui/input";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { GaugeIcon, LoaderCircleIcon } from "lucide-react";
import type * as React from "react";
import { useState } from "react";
import { toast } from "sonner";
import { FormAlert } from "../../../components/form-alert";
import { FormField } from "../../../components/form-field";
import { describeError } from "../../../lib/errors";
import { useTRPC } from "../../../lib/trpc";
import { type FieldErrors, formValues, readBandwidthLimits } from "../../../lib/validation";
import type { Host } from "../types";
import type { Overview } from "./overview";

const CAPS = [
  { name: "uploadKbps", id: "bandwidth-up", label: "Upload (KB/s)" },
  { name: "downloadKbps", id: "bandwidth-down", label: "Download (KB/s)" },
] as const;

/** Host-wide upload and download caps for every restic run. */
export function BandwidthCard({ host, overview, canEdit }: { host: Host; overview: Overview; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<FieldErrors>({});
  const update = useMutation(
    trpc.repo.updateBandwidth.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.repo.overview.queryKey({ hostId: host.id }) });
        toast.success("Saved the bandwidth caps.");
      },
    }),
  );
  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const { limits, errors: next } = readBandwidthLimits(formValues(event.currentTarget));
    setErrors(next);
    if (Object.keys(next).length === 0) update.mutate({ hostId: host.id, ...limits });
  };
  const value = (n: number | null) => (n === null ? "" : String(n));
  return (
    <Card className="gap-5">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <GaugeIcon className="size-4 text-muted-foreground" aria-hidden="true" />
          Bandwidth caps
        </CardTitle>
        <CardDescription>
          Limits every restic run on this host (restic --limit-upload / --limit-download). Empty is no limit; a source
          group's Run now can override them for one run.
        </CardDescription>
      </CardHeader>
      <form onSubmit={onSubmit} noValidate aria-label="Bandwidth caps" className="grid gap-5">
        <fieldset disabled={!canEdit} className="grid items-start gap-5 px-6 sm:grid-cols-2">
          {CAPS.map(({ name, id, label }) => (
            <FormField key={name} id={id} label={label} error={errors[name]}>
              {(aria) => (
                <Input
                  {...aria}
                  name={name}
                  defaultValue={value(overview.bandwidth[name])}
                  placeholder="No limit"
                  inputMode="numeric"
                  autoComplete="off"
                  className="tabular-nums"
                />
              )}
            </FormField>
          ))}
          <div className="empty:hidden sm:col-span-2">
            <FormAlert title="Could not save the caps" message={update.error ? describeError(update.error) : null} />
          </div>
        </fieldset>
        {canEdit && (
          <CardFooter className="justify-end border-t pt-5">
            <Button type="submit" disabled={update.isPending}>
              {update.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
              Save caps
            </Button>
          </CardFooter>
        )}
      </form>
    </Card>
  );
}
