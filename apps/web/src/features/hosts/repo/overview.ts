import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferOutput } from "@trpc/tanstack-react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { type Trpc, useTRPC } from "../../../lib/trpc";

/** What the Repo tab shows: settings, stats, the last maintenance jobs, snapshots by tag, a stale lock. */
export type Overview = inferOutput<Trpc["repo"]["overview"]>;

/** repo.overview, kept current by repo.watch (re-sent after backups, checks, prunes, snapshot reports). */
export function useLiveOverview(hostId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const subscription = useSubscription(
    trpc.repo.watch.subscriptionOptions(
      { hostId },
      { onData: (data) => queryClient.setQueryData(trpc.repo.overview.queryKey({ hostId }), data) },
    ),
  );
  const streamDown = subscription.status === "error" || subscription.error !== null;
  return useQuery({ ...trpc.repo.overview.queryOptions({ hostId }), refetchInterval: streamDown ? 10_000 : false });
}
