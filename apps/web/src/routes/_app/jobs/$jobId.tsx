import { createFileRoute } from "@tanstack/react-router";
import { JobPage } from "../../../features/jobs/job-page";

export const Route = createFileRoute("/_app/jobs/$jobId")({
  loader: ({ context, params }) =>
    context.queryClient.prefetchQuery(context.trpc.jobs.get.queryOptions({ jobId: params.jobId })),
  component: JobRoute,
});

function JobRoute() {
  const { jobId } = Route.useParams();
  // A new job is a new page: fresh log buffer, progress and stream.
  return <JobPage key={jobId} jobId={jobId} />;
}
