import { createFileRoute } from "@tanstack/react-router";
import { HOST_PICKER_INPUT } from "../../../features/hosts/host-list-query";
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
  loaderDeps: ({ search }) => ({ hostId: search.hostId }),
  // The host picker's name for the chosen host and its first options; the page renders without
  // waiting for them.
  loader: ({ context, deps }) => {
    const { queryClient, trpc } = context;
    if (deps.hostId) void queryClient.prefetchQuery(trpc.hosts.get.queryOptions({ hostId: deps.hostId }));
    void queryClient.prefetchQuery(trpc.hosts.options.queryOptions(HOST_PICKER_INPUT));
  },
  component: JobsPage,
});
