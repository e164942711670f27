import { useInfiniteQuery } from "@tanstack/react-query";
import { useTRPC, useTRPCClient } from "../../lib/trpc";
import { JOBS_REFRESH_MS, type JobKind, type JobStatus } from "./types";

export interface JobFilter {
  hostId?: string | undefined;
  kind?: JobKind | undefined;
  status?: JobStatus | undefined;
}

/**
 * Jobs newest first, a page at a time. The API pages with `before` (a job id), not tRPC's
 * `cursor`, so page by hand; every loaded page refetches every few seconds.
 */
export function useJobs(filter: JobFilter, pageSize: number) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const input = { ...clean(filter), limit: pageSize };
  return useInfiniteQuery({
    queryKey: [...trpc.jobs.list.queryKey(input), "pages"],
    queryFn: ({ pageParam }) => client.jobs.list.query(pageParam === null ? input : { ...input, cursor: pageParam }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
    refetchInterval: JOBS_REFRESH_MS,
  });
}

function clean(filter: JobFilter): JobFilter {
  const out: JobFilter = {};
  if (filter.hostId) out.hostId = filter.hostId;
  if (filter.kind) out.kind = filter.kind;
  if (filter.status) out.status = filter.status;
  return out;
}
