import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { toast } from "sonner";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";

/** The id of the job a CONFLICT names: `… a backup job (01J…, running) …`. */
function runningJobOf(message: string): string | undefined {
  return /\(([0-9A-Za-z]{10,64}), (?:queued|running)\)/.exec(message)?.[1];
}

/**
 * sources.runNow (optionally with bandwidth limits for this run), then straight to the live job page. A refusal (busy, offline, no paths) is a
 * toast with the server's sentence; when another job is running it offers to open that one.
 */
export function useRunBackup() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return useMutation(
    trpc.sources.runNow.mutationOptions({
      onSuccess: ({ jobId }) => {
        void queryClient.invalidateQueries({ queryKey: trpc.jobs.list.pathKey() });
        void navigate({ to: "/jobs/$jobId", params: { jobId } });
      },
      onError: (error) => {
        const message = describeError(error);
        const running = runningJobOf(message);
        toast.error(
          "Could not start the backup",
          running
            ? {
                description: message,
                action: {
                  label: "Open that job",
                  onClick: () => void navigate({ to: "/jobs/$jobId", params: { jobId: running } }),
                },
              }
            : { description: message },
        );
      },
    }),
  );
}
