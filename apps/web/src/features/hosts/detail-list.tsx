import type * as React from "react";

/** Label / value rows inside a card. */
export function DetailList({ children }: { children: React.ReactNode }) {
  return <dl className="grid gap-3 text-sm">{children}</dl>;
}

export function DetailRow({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-[8.5rem_minmax(0,1fr)] items-baseline gap-3">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="min-w-0">{children}</dd>
    </div>
  );
}
