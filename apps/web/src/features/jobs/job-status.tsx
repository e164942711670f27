import { Badge } from "@restic-manager/ui/badge";
import { cn } from "@restic-manager/ui/cn";
import {
  BanIcon,
  CircleCheckIcon,
  CircleXIcon,
  ClockIcon,
  LoaderCircleIcon,
  type LucideIcon,
  UnplugIcon,
} from "lucide-react";
import type * as React from "react";
import type { JobKind, JobStatus } from "./types";

export const JOB_STATUS: Record<
  JobStatus,
  { label: string; icon: LucideIcon; badge: "secondary" | "info" | "success" | "destructive" | "warning" }
> = {
  queued: { label: "Queued", icon: ClockIcon, badge: "secondary" },
  running: { label: "Running", icon: LoaderCircleIcon, badge: "info" },
  succeeded: { label: "Succeeded", icon: CircleCheckIcon, badge: "success" },
  failed: { label: "Failed", icon: CircleXIcon, badge: "destructive" },
  cancelled: { label: "Cancelled", icon: BanIcon, badge: "secondary" },
  interrupted: { label: "Interrupted", icon: UnplugIcon, badge: "warning" },
};

export const JOB_KIND_LABELS: Record<JobKind, string> = {
  init: "Repository init",
  backup: "Backup",
  forget: "Forget",
  prune: "Prune",
  check: "Check",
  unlock: "Unlock",
  restore: "Restore",
  diff: "Diff",
};

/** Status word with its icon; `data-status` carries the raw value for tests and styling. */
export function JobStatusBadge({
  status,
  className,
  ...props
}: { status: JobStatus; className?: string } & Omit<React.ComponentProps<"span">, "children">) {
  const { label, icon: Icon, badge } = JOB_STATUS[status] ?? JOB_STATUS.queued;
  return (
    <Badge variant={badge} data-status={status} className={cn("gap-1", className)} {...props}>
      <Icon aria-hidden="true" className={cn(status === "running" && "animate-spin")} />
      {label}
    </Badge>
  );
}

/** The last backup of a host, which the server stores as a plain status string. */
export function LastBackupBadge({ status }: { status: string | null }) {
  if (!status || !(status in JOB_STATUS)) return null;
  return <JobStatusBadge status={status as JobStatus} />;
}
