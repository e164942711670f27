import { Button } from "@restic-manager/ui/button";
import { Card } from "@restic-manager/ui/card";
import { getRouteApi } from "@tanstack/react-router";
import { HistoryIcon } from "lucide-react";
import { EmptyState } from "../../components/empty-state";
import { FilterField, SelectFilter } from "../../components/filter-field";
import { PageHeader } from "../../components/page-header";
import { ErrorState } from "../../components/status-screens";
import { TableSkeleton } from "../../components/table-skeleton";
import { describeError } from "../../lib/errors";
import { HostPicker } from "../hosts/host-picker";
import { JOB_KIND_LABELS, JOB_STATUS } from "./job-status";
import { JobsTable } from "./jobs-table";
import { LoadMore } from "./load-more";
import { JOB_KINDS, JOB_STATUSES } from "./types";
import { useJobs } from "./use-jobs";

const PAGE_SIZE = 50;
const route = getRouteApi("/_app/jobs/");

/** /jobs: every job of the fleet, newest first, filtered by host, kind and status (kept in the URL). */
export function JobsPage() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const jobs = useJobs(search, PAGE_SIZE);
  const rows = jobs.data?.pages.flatMap((page) => page.items) ?? [];
  const filtered = Boolean(search.hostId || search.kind || search.status);

  const setFilter = (key: "hostId" | "kind" | "status", value: string) =>
    void navigate({ search: (prev) => ({ ...prev, [key]: value || undefined }), replace: true });

  return (
    <>
      <PageHeader
        title="Jobs"
        description="Every backup and repository job of the fleet, newest first. Open one to follow its log live."
      />
      <div className="mb-4 flex flex-wrap items-end gap-3">
        <FilterField id="jobs-host" label="Host">
          <HostPicker
            id="jobs-host"
            labelId="jobs-host-label"
            value={search.hostId}
            onChange={(hostId) => setFilter("hostId", hostId ?? "")}
          />
        </FilterField>
        <SelectFilter
          id="jobs-kind"
          label="Kind"
          className="w-44"
          value={search.kind ?? ""}
          onChange={(value) => setFilter("kind", value)}
          anyLabel="All kinds"
          options={JOB_KINDS.map((kind) => [kind, JOB_KIND_LABELS[kind]] as const)}
        />
        <SelectFilter
          id="jobs-status"
          label="Status"
          className="w-40"
          value={search.status ?? ""}
          onChange={(value) => setFilter("status", value)}
          anyLabel="All statuses"
          options={JOB_STATUSES.map((status) => [status, JOB_STATUS[status].label] as const)}
        />
        {filtered && (
          <Button variant="ghost" onClick={() => void navigate({ search: {}, replace: true })}>
            Clear filters
          </Button>
        )}
      </div>
      <Card className="py-0">
        {jobs.isPending ? (
          <TableSkeleton rows={6} />
        ) : jobs.isError && rows.length === 0 ? (
          <ErrorState
            title="Could not load the jobs"
            message={describeError(jobs.error)}
            onRetry={() => void jobs.refetch()}
          />
        ) : rows.length === 0 ? (
          <EmptyState icon={<HistoryIcon />} title={filtered ? "No jobs match these filters" : "No jobs yet"}>
            {filtered
              ? "Try another host, kind or status, or clear the filters."
              : "Backups started with Run now, and the repository init each new host gets, appear here."}
          </EmptyState>
        ) : (
          <JobsTable rows={rows} />
        )}
      </Card>
      <LoadMore query={jobs} count={rows.length} noun={["job", "jobs"]} />
    </>
  );
}
