import { cn } from "@restic-manager/ui/cn";
import type * as React from "react";

/** The facts under a detail page's title: small labels over values, wrapping as needed. */
export function MetaList({ children, className }: { children: React.ReactNode; className?: string }) {
  return <dl className={cn("mt-4 flex flex-wrap gap-x-8 gap-y-3 text-sm", className)}>{children}</dl>;
}

/** One fact; an empty value shows a dash. */
export function Meta({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid min-w-0 gap-0.5">
      <dt className="text-muted-foreground text-xs">{label}</dt>
      <dd className="min-w-0 [&_.font-mono]:text-[13px]">
        {children ?? <span className="text-muted-foreground">—</span>}
      </dd>
    </div>
  );
}
