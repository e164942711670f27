import { Button } from "@restic-manager/ui/button";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { CircleStopIcon, LoaderCircleIcon } from "lucide-react";
import { useState } from "react";
import { ConfirmActionDialog } from "../../components/confirm-action-dialog";
import { useTRPC } from "../../lib/trpc";
import { JOB_KIND_LABELS } from "./job-status";
import type { Job } from "./types";

/** Operators stop a queued or running job; the button says "Cancelling…" until the status moves. */
export function CancelJobButton({ job }: { job: Job }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [requested, setRequested] = useState(false);
  const cancel = useMutation(trpc.jobs.cancel.mutationOptions());

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
    <ConfirmActionDialog
      trigger={
        <Button variant="outline">
          <CircleStopIcon aria-hidden="true" />
          Cancel job
        </Button>
      }
      title={`Cancel this ${what}?`}
      description={
        job.status === "queued"
          ? `It has not started yet; the agent on ${job.hostName} will not run it.`
          : `The agent on ${job.hostName} stops restic. A cancelled backup writes no snapshot; data it already uploaded is reused by the next backup.`
      }
      cancelLabel="Keep running"
      confirmLabel="Stop job"
      errorTitle="Could not cancel the job"
      mutation={cancel}
      onConfirm={(close) =>
        cancel.mutate(
          { jobId: job.id },
          {
            onSuccess: async () => {
              setRequested(true);
              close();
              await queryClient.invalidateQueries({ queryKey: trpc.jobs.get.queryKey({ jobId: job.id }) });
            },
          },
        )
      }
    />
  );
}
