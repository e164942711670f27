import type * as React from "react";
import { cn } from "./cn";

/**
 * A determinate bar (0-100) with the ARIA progressbar semantics; `value` null draws an
 * indeterminate stripe (the total is not known yet) and leaves aria-valuenow out.
 */
export function Progress({
  value,
  className,
  indicatorClassName,
  ...props
}: Omit<React.ComponentProps<"div">, "children"> & { value: number | null; indicatorClassName?: string }) {
  const clamped = value === null ? null : Math.min(100, Math.max(0, value));
  return (
    <div
      data-slot="progress"
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={clamped === null ? undefined : Math.round(clamped * 10) / 10}
      data-state={clamped === null ? "indeterminate" : clamped >= 100 ? "complete" : "loading"}
      className={cn("relative h-2 w-full overflow-hidden rounded-full bg-primary/15", className)}
      {...props}
    >
      <div
        data-slot="progress-indicator"
        className={cn(
          "h-full rounded-full bg-primary transition-[width] duration-700 ease-out",
          clamped === null && "w-1/3 animate-progress-indeterminate",
          indicatorClassName,
        )}
        style={clamped === null ? undefined : { width: `${clamped}%` }}
      />
    </div>
  );
}
