import { Button } from "@restic-manager/ui/button";
import { useMutation } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { ArrowRightIcon, LoaderCircleIcon, PlayIcon } from "lucide-react";
import { toast } from "sonner";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { useOpenJobs } from "../jobs/use-open-jobs";

/**
 * The dashboard row's Run now: with one enabled schedule that covers every source group it runs
 * that schedule ("Run all groups"); otherwise which group to run is the Sources tab's question.
 */
export function HostRowRunNow({
  hostId,
  hostName,
  coveringScheduleId,
}: {
  hostId: string;
  hostName: string;
  coveringScheduleId: string | null;
}) {
  const trpc = useTRPC();
  const openJobs = useOpenJobs();
  const run = useMutation(
    trpc.schedules.runNow.mutationOptions({
      onSuccess: ({ jobIds }) => openJobs(jobIds, `backups on ${hostName}`),
      onError: (error) => toast.error(`Could not back up ${hostName}`, { description: describeError(error) }),
    }),
  );

  if (!coveringScheduleId) {
    return (
      <Button asChild size="sm" variant="ghost" aria-label={`Open the sources of ${hostName}`}>
        <Link to="/hosts/$hostId" params={{ hostId }} search={{ tab: "sources" }}>
          Open
          <ArrowRightIcon aria-hidden="true" />
        </Link>
      </Button>
    );
  }
  return (
    <Button
      size="sm"
      variant="outline"
      disabled={run.isPending}
      onClick={() => run.mutate({ scheduleId: coveringScheduleId })}
      aria-label={`Run all groups of ${hostName}`}
    >
      {run.isPending ? (
        <LoaderCircleIcon className="animate-spin" aria-hidden="true" />
      ) : (
        <PlayIcon aria-hidden="true" />
      )}
      Run all groups
    </Button>
  );
}
