import { Badge } from "@restic-manager/ui/badge";
import { cn } from "@restic-manager/ui/cn";
import { TriangleAlertIcon } from "lucide-react";
import { resticProblem } from "./status";
import type { HostStatus } from "./types";

export const HOST_STATUS: Record<
  HostStatus,
  { label: string; dot: string; badge: "success" | "secondary" | "warning" | "destructive" }
> = {
  online: { label: "Online", dot: "bg-success ring-4 ring-success/15", badge: "success" },
  offline: { label: "Offline", dot: "bg-muted-foreground/45", badge: "secondary" },
  pending: { label: "Pending", dot: "bg-warning", badge: "warning" },
  revoked: { label: "Revoked", dot: "bg-destructive", badge: "destructive" },
};

/** The coloured dot; screen readers and the hover title get the word. */
export function StatusDot({ status, className }: { status: HostStatus; className?: string }) {
  const { label, dot } = HOST_STATUS[status];
  return (
    <span
      role="img"
      aria-label={label}
      title={label}
      data-status={status}
      className={cn("inline-block size-2 shrink-0 rounded-full", dot, className)}
    />
  );
}

/** The dot and the word, for headers. */
export function StatusBadge({ status }: { status: HostStatus }) {
  const { label, dot, badge } = HOST_STATUS[status];
  return (
    <Badge variant={badge} data-status={status} className="gap-1.5 px-2.5">
      <span aria-hidden="true" className={cn("size-1.5 rounded-full", dot, "ring-0")} />
      {label}
    </Badge>
  );
}

/** "0.17.3", or the warning badge when the agent cannot use restic. */
export function ResticVersion({ version, error }: { version: string | null; error: string | null }) {
  if (error) {
    return (
      <Badge variant="warning" title={error}>
        <TriangleAlertIcon aria-hidden="true" />
        {resticProblem(version, error)}
      </Badge>
    );
  }
  if (!version) return <span className="text-muted-foreground">—</span>;
  return <span className="font-mono text-xs">{version}</span>;
}
