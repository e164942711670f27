import { Skeleton } from "@restic-manager/ui/skeleton";

export function TableSkeleton({ rows = 3 }: { rows?: number }) {
  return (
    <div className="grid gap-3 p-4" role="status" aria-label="Loading">
      {Array.from({ length: rows }, (_, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: static placeholders
        <Skeleton key={index} className="h-8" />
      ))}
    </div>
  );
}
