/**
 * The "Run … now?" dialogs of the host tabs, from one table: forget and prune (Repo tab), a
 * paused schedule (Schedules tab), and a source group's backup with a bandwidth limit for this
 * run (Sources tab). A kind names its texts, its fields and how it starts its job; the dialog
 * is the same for all. `useRunNow` is also the way to start a kind without asking (an enabled
 * schedule's Run now), so both paths share one mutation.
 */
import { Input } from "@restic-manager/ui/input";
import { useMutation } from "@tanstack/react-query";
import { GaugeIcon } from "lucide-react";
import type * as React from "react";
import { useId, useState } from "react";
import { toast } from "sonner";
import { ConfirmActionDialog, type MutationState } from "../../components/confirm-action-dialog";
import { FormField } from "../../components/form-field";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { type BandwidthLimits, type FieldErrors, formValues, readBandwidthLimits } from "../../lib/validation";
import { useOpenJobs } from "../jobs/use-open-jobs";
import { useRunBackup } from "./run-backup";
import { groupList, type Schedule, type SourceGroup } from "./types";

/** What each kind runs on. */
interface RunNowSubjects {
  forget: { hostId: string };
  prune: { hostId: string };
  schedule: Schedule;
  backup: SourceGroup;
}
export type RunNowKind = keyof RunNowSubjects;

/**
 * Starts the job. `close` is the dialog's (absent when started without one: then a refusal is
 * a toast); `limits` are the fields' values for kinds with bandwidth fields.
 */
type Start = (options: { close?: () => void; limits?: BandwidthLimits }) => void;

interface RunNowConfig<S> {
  title: (subject: S) => React.ReactNode;
  description: (subject: S) => string;
  confirmLabel: (subject: S) => string;
  errorTitle: string;
  /** Bandwidth limit fields (KB/s) shown in the dialog; read into `limits`. */
  fields?: readonly { name: keyof BandwidthLimits; label: string }[];
  /** The mutation the dialog follows, and how the kind starts it. Called as a hook. */
  useStart: (subject: S) => { mutation: MutationState; start: Start };
}

const RUN_NOW: { [K in RunNowKind]: RunNowConfig<RunNowSubjects[K]> } = {
  forget: {
    title: () => "Run forget now?",
    description: () =>
      "Each source group's retention removes the snapshots it no longer keeps. Their data stays until the next prune.",
    confirmLabel: () => "Run forget",
    errorTitle: "Could not start the forget",
    useStart: ({ hostId }) => {
      const trpc = useTRPC();
      const openJobs = useOpenJobs();
      const mutation = useMutation(trpc.repo.runForget.mutationOptions());
      const start: Start = ({ close }) =>
        mutation.mutate(
          { hostId },
          {
            onSuccess: ({ jobIds, skipped }) => {
              close?.();
              if (skipped.length) toast.info(`Skipped ${skipped.join(", ")}: no retention policy.`);
              openJobs(jobIds, "forget jobs");
            },
          },
        );
      return { mutation, start };
    },
  },
  prune: {
    title: () => "Run prune now?",
    description: () =>
      "Deletes the data no snapshot references any more and repacks what is left. It locks the repository while it runs, so backups wait; on a large repository that takes a while.",
    confirmLabel: () => "Run prune",
    errorTitle: "Could not start the prune",
    useStart: ({ hostId }) => {
      const trpc = useTRPC();
      const openJobs = useOpenJobs();
      const mutation = useMutation(trpc.repo.runPrune.mutationOptions());
      const start: Start = ({ close }) =>
        mutation.mutate(
          { hostId },
          {
            onSuccess: ({ jobId }) => {
              close?.();
              openJobs([jobId], "prune jobs");
            },
          },
        );
      return { mutation, start };
    },
  },
  schedule: {
    title: () => "Run a paused schedule?",
    description: (schedule) =>
      `This schedule is paused. Running it now backs up ${groupList(schedule)} once; it stays paused.`,
    confirmLabel: () => "Run now",
    errorTitle: "Could not run the schedule",
    useStart: (schedule) => {
      const trpc = useTRPC();
      const openJobs = useOpenJobs();
      const mutation = useMutation(trpc.schedules.runNow.mutationOptions());
      const start: Start = ({ close }) =>
        mutation.mutate(
          { scheduleId: schedule.id },
          {
            onSuccess: ({ jobIds }) => {
              close?.();
              openJobs(jobIds, `backups (${groupList(schedule)})`);
            },
            onError: (error) => {
              if (!close) toast.error("Could not run the schedule", { description: describeError(error) });
            },
          },
        );
      return { mutation, start };
    },
  },
  backup: {
    title: () => (
      <span className="flex items-center gap-2">
        <GaugeIcon className="size-4 text-muted-foreground" aria-hidden="true" />
        Limit bandwidth for this run
      </span>
    ),
    description: () => "Overrides the host's caps for this backup only. Empty is no limit.",
    confirmLabel: (group) => `Run ${group.name} now`,
    errorTitle: "Could not start the backup",
    fields: [
      { name: "uploadKbps", label: "Upload KB/s" },
      { name: "downloadKbps", label: "Download KB/s" },
    ],
    useStart: (group) => {
      // useRunBackup opens the job page, or toasts the refusal (offering the running job).
      const mutation = useRunBackup();
      const start: Start = ({ close, limits }) => {
        close?.();
        mutation.mutate({ groupId: group.id, ...(limits ? { limits } : {}) });
      };
      return { mutation, start };
    },
  },
};

export interface RunNow<K extends RunNowKind> {
  kind: K;
  subject: RunNowSubjects[K];
  mutation: MutationState;
  start: Start;
}

/** A kind's mutation and start, for the trigger's spinner and for starting without the dialog. */
export function useRunNow<K extends RunNowKind>(kind: K, subject: RunNowSubjects[K]): RunNow<K> {
  const config: RunNowConfig<RunNowSubjects[K]> = RUN_NOW[kind];
  // `kind` is fixed for a component's life, so this is always the same hook.
  const { mutation, start } = config.useStart(subject);
  return { kind, subject, mutation, start };
}

/** The dialog for `run` (from useRunNow), opened by `trigger`. */
export function RunNowDialog<K extends RunNowKind>({ run, trigger }: { run: RunNow<K>; trigger: React.ReactNode }) {
  const config: RunNowConfig<RunNowSubjects[K]> = RUN_NOW[run.kind];
  const [errors, setErrors] = useState<FieldErrors>({});
  const fieldId = useId();

  const onConfirm = (close: () => void, form: HTMLFormElement) => {
    if (!config.fields) return run.start({ close });
    const { limits, errors: next } = readBandwidthLimits(formValues(form));
    setErrors(next);
    if (Object.keys(next).length === 0) run.start({ close, limits });
  };

  return (
    <ConfirmActionDialog
      trigger={trigger}
      variant="default"
      title={config.title(run.subject)}
      description={config.description(run.subject)}
      confirmLabel={config.confirmLabel(run.subject)}
      errorTitle={config.errorTitle}
      mutation={run.mutation}
      onConfirm={onConfirm}
    >
      {config.fields && (
        <div className="grid grid-cols-2 items-start gap-3">
          {config.fields.map((field) => (
            <FormField key={field.name} id={`${fieldId}-${field.name}`} label={field.label} error={errors[field.name]}>
              {(aria) => <Input {...aria} name={field.name} inputMode="numeric" autoComplete="off" />}
            </FormField>
          ))}
        </div>
      )}
    </ConfirmActionDialog>
  );
}
