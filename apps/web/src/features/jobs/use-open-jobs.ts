import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { toast } from "sonner";
import { useTRPC } from "../../lib/trpc";

/**
 * After a Run now that started jobs: one job opens its live page; several (a schedule's groups,
 * forget per group) say so in a toast, since they run one after another.
 */
export function useOpenJobs() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const trpc = useTRPC();
  return (jobIds: string[], what: string) => {
    void queryClient.invalidateQueries({ queryKey: trpc.jobs.list.pathKey() });
    const [only] = jobIds;
    if (jobIds.length === 1 && only) void navigate({ to: "/jobs/$jobId", params: { jobId: only } });
    else toast.success(`Started ${jobIds.length} ${what}; they run one after another.`);
  };
}
