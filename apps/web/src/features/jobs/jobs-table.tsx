import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@restic-manager/ui/table";
import { Link } from "@tanstack/react-router";
import { RelativeTime } from "../../components/date-cell";
import { useActorLabel } from "./actor";
import { JobDuration } from "./job-duration";
import { JOB_KIND_LABELS, JobStatusBadge } from "./job-status";
import type { JobRow } from "./types";

/** Jobs, newest first. The kind's link stretches over the row: the whole row opens the job. */
export function JobsTable({ rows, showHost = true }: { rows: JobRow[]; showHost?: boolean }) {
  const actorLabel = useActorLabel();
  return (
    <Table>
      <TableHeader>
        <TableRow className="hover:bg-transparent">
          <TableHead>Job</TableHead>
          {showHost && <TableHead>Host</TableHead>}
          <TableHead>Status</TableHead>
          <TableHead>Started</TableHead>
          <TableHead className="text-right">Duration</TableHead>
          <TableHead className="hidden lg:table-cell">Requested by</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {rows.map((job) => (
          <TableRow
            key={job.id}
            data-job={job.id}
            className="relative has-[a:focus-visible]:bg-muted/60 has-[a:hover]:bg-muted/40"
          >
            <TableCell>
              <Link
                to="/jobs/$jobId"
                params={{ jobId: job.id }}
                className="font-medium outline-none after:absolute after:inset-0 after:rounded-sm focus-visible:after:ring-[3px] focus-visible:after:ring-ring/50"
              >
                {JOB_KIND_LABELS[job.kind] ?? job.kind}
              </Link>
              {job.sourceGroupName && (
                <span className="ml-2 font-mono text-muted-foreground text-xs">{job.sourceGroupName}</span>
              )}
            </TableCell>
            {showHost && (
              <TableCell>
                <span className="block max-w-56 truncate font-mono text-[13px]" title={job.hostName}>
                  {job.hostName}
                </span>
              </TableCell>
            )}
            <TableCell>
              <JobStatusBadge status={job.status} />
            </TableCell>
            <TableCell>
              {job.startedAt ? (
                <RelativeTime value={job.startedAt} />
              ) : job.status === "queued" ? (
                <span className="text-muted-foreground">Waiting for the agent</span>
              ) : (
                <span className="text-muted-foreground" title="The agent never started this job.">
                  Not started · <RelativeTime value={job.createdAt} />
                </span>
              )}
            </TableCell>
            <TableCell className="text-right">
              <JobDuration startedAt={job.startedAt} finishedAt={job.finishedAt} />
            </TableCell>
            <TableCell className="hidden text-muted-foreground lg:table-cell">
              <span className="block max-w-40 truncate" title={job.actor}>
                {actorLabel(job.actor, job.actorName)}
              </span>
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
