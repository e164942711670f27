import { createFileRoute } from "@tanstack/react-router";
import { JobsPage } from "../../../features/jobs/jobs-page";
import { JOB_KINDS, JOB_STATUSES, type JobKind, type JobStatus } from "../../../features/jobs/types";

export interface JobsSearch {
  hostId?: string;
  kind?: JobKind;
  status?: JobStatus;
}

const oneOf = <T extends string>(values: readonly T[], value: unknown): value is T =>
  typeof value === "string" && (values as readonly string[]).includes(value);

export const Route = createFileRoute("/_app/jobs/")({
  validateSearch: (search: Record<string, unknown>): JobsSearch => {
    const out: JobsSearch = {};
    if (typeof search.hostId === "string" && search.hostId) out.hostId = search.hostId;
    if (oneOf(JOB_KINDS, search.kind)) out.kind = search.kind;
    if (oneOf(JOB_STATUSES, search.status)) out.status = search.status;
    return out;
  },
  // The host filter's options; the page renders without waiting for them.
  loader: ({ context }) => void context.queryClient.prefetchQuery(context.trpc.hosts.list.queryOptions()),
  component: JobsPage,
});
