import { Button } from "@restic-manager/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@restic-manager/ui/card";
import { useMutation } from "@tanstack/react-query";
import { LoaderCircleIcon, PlayIcon } from "lucide-react";
import { toast } from "sonner";
import { describeError } from "../../../lib/errors";
import { useTRPC } from "../../../lib/trpc";
import { useOpenJobs } from "../../jobs/use-open-jobs";
import { RunNowDialog, useRunNow } from "../run-now-dialog";
import type { Host } from "../types";
import type { Overview } from "./overview";

/** Check and unlock start at once (nothing to lose); a refusal is a toast. */
function useRunRepoJob(procedure: "runCheck" | "runUnlock", what: "check" | "unlock") {
  const trpc = useTRPC();
  const openJobs = useOpenJobs();
  return useMutation(
    trpc.repo[procedure].mutationOptions({
      onSuccess: ({ jobId }) => openJobs([jobId], `${what} jobs`),
      onError: (error) => toast.error(`Could not start the ${what}`, { description: describeError(error) }),
    }),
  );
}

/** The unlock job, for this card and the stale-lock banner. */
export const useRunUnlock = () => useRunRepoJob("runUnlock", "unlock");

const spinner = (pending: boolean) =>
  pending ? <LoaderCircleIcon className="animate-spin" aria-hidden="true" /> : <PlayIcon aria-hidden="true" />;

/** Forget or prune: the button opens the Run now dialog. */
function AskFirst({ kind, hostId, label }: { kind: "forget" | "prune"; hostId: string; label: string }) {
  const run = useRunNow(kind, { hostId });
  return (
    <RunNowDialog
      run={run}
      trigger={
        <Button variant="outline" size="sm" disabled={run.mutation.isPending}>
          {spinner(run.mutation.isPending)}
          {label}
        </Button>
      }
    />
  );
}

/** Maintenance on demand: forget and prune ask first (see run-now-dialog.tsx), check and unlock do not. */
export function RunNowCard({ host, overview }: { host: Host; overview: Overview }) {
  const check = useRunRepoJob("runCheck", "check");
  const unlock = useRunUnlock();

  return (
    <Card className="gap-4">
      <CardHeader>
        <CardTitle>Run now</CardTitle>
        <CardDescription>Maintenance jobs on demand; each opens its live log.</CardDescription>
      </CardHeader>
      <CardContent className="grid grid-cols-2 gap-2">
        <AskFirst kind="forget" hostId={host.id} label="Forget" />
        <AskFirst kind="prune" hostId={host.id} label="Prune" />
        <Button
          variant="outline"
          size="sm"
          disabled={check.isPending}
          onClick={() => check.mutate({ hostId: host.id })}
          title={`Reads ${overview.maintenance.checkSubsetPct}% of the data`}
        >
          {spinner(check.isPending)}
          Check
        </Button>
        <Button
          variant="outline"
          size="sm"
          disabled={unlock.isPending}
          onClick={() => unlock.mutate({ hostId: host.id })}
        >
          {spinner(unlock.isPending)}
          Unlock
        </Button>
      </CardContent>
    </Card>
  );
}
