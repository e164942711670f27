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
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { CircleStopIcon, LoaderCircleIcon } from "lucide-react";
import { useState } from "react";
import { FormAlert } from "../../components/form-alert";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { JOB_KIND_LABELS } from "./job-status";
import type { Job } from "./types";

/** Operators stop a queued or running job; the button says "Cancelling…" until the status moves. */
export function CancelJobButton({ job }: { job: Job }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [requested, setRequested] = useState(false);
  const cancel = useMutation(
    trpc.jobs.cancel.mutationOptions({
      onSuccess: async () => {
        setRequested(true);
        setOpen(false);
        await queryClient.invalidateQueries({ queryKey: trpc.jobs.get.queryKey({ jobId: job.id }) });
      },
    }),
  );

  if (requested) {
    return (
      <Button variant="outline" disabled data-testid="job-cancelling">
        <LoaderCircleIcon className="animate-spin" aria-hidden="true" />
        Cancelling…
      </Button>
    );
  }

  const what = JOB_KIND_LABELS[job.kind]?.toLowerCase() ?? job.kind;
  return (
    <AlertDialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) cancel.reset();
      }}
    >
      <AlertDialogTrigger asChild>
        <Button variant="outline">
          <CircleStopIcon aria-hidden="true" />
          Cancel job
        </Button>
      </AlertDialogTrigger>
      <AlertDialogContent>
        <AlertDialogHeader>
          <AlertDialogTitle>Cancel this {what}?</AlertDialogTitle>
          <AlertDialogDescription>
            {job.status === "queued"
              ? `It has not started yet; the agent on ${job.hostName} will not run it.`
              : `The agent on ${job.hostName} stops restic. A cancelled backup writes no snapshot; data it already uploaded is reused by the next backup.`}
          </AlertDialogDescription>
        </AlertDialogHeader>
        <FormAlert title="Could not cancel the job" message={cancel.error ? describeError(cancel.error) : null} />
        <AlertDialogFooter>
          <AlertDialogCancel>Keep running</AlertDialogCancel>
          <Button variant="destructive" disabled={cancel.isPending} onClick={() => cancel.mutate({ jobId: job.id })}>
            {cancel.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
            Stop job
          </Button>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
