import { Button } from "@restic-manager/ui/button";
import { Card } from "@restic-manager/ui/card";
import { Link } from "@tanstack/react-router";
import { ArrowRightIcon, HistoryIcon } from "lucide-react";
import { EmptyState } from "../../components/empty-state";
import { ErrorState } from "../../components/status-screens";
import { TableSkeleton } from "../../components/table-skeleton";
import { describeError } from "../../lib/errors";
import { JobsTable } from "../jobs/jobs-table";
import { LoadMore } from "../jobs/load-more";
import { useJobs } from "../jobs/use-jobs";
import type { Host } from "./types";

const PAGE_SIZE = 25;

/** Every job this host ran, newest first. */
export function HostJobsTab({ host }: { host: Host }) {
  const jobs = useJobs({ hostId: host.id }, PAGE_SIZE);
  const rows = jobs.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <>
      <Card className="py-0">
        {jobs.isPending ? (
          <TableSkeleton rows={4} />
        ) : jobs.isError && rows.length === 0 ? (
          <ErrorState
            title="Could not load the jobs"
            message={describeError(jobs.error)}
            onRetry={() => void jobs.refetch()}
          />
        ) : rows.length === 0 ? (
          <EmptyState icon={<HistoryIcon />} title="No jobs yet">
            The repository init runs when the agent first connects; backups appear here once they start.
          </EmptyState>
        ) : (
          <JobsTable rows={rows} showHost={false} />
        )}
      </Card>
      <LoadMore query={jobs} count={rows.length} noun={["job", "jobs"]} />
      {rows.length > 0 && (
        <div className="mt-2 flex justify-center">
          <Button asChild variant="ghost" size="sm">
            <Link to="/jobs" search={{ hostId: host.id }}>
              Filter on the Jobs page
              <ArrowRightIcon aria-hidden="true" />
            </Link>
          </Button>
        </div>
      )}
    </>
  );
}
