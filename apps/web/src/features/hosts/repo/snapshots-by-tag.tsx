import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@restic-manager/ui/card";
import { TagsIcon } from "lucide-react";
import { RelativeTime } from "../../../components/date-cell";
import { formatCount } from "../../../lib/format";
import type { Overview } from "./overview";

/** How many snapshots each source group (tag) has, and its latest. */
export function SnapshotsByTag({ overview }: { overview: Overview }) {
  return (
    <Card className="gap-3" data-testid="snapshots-by-tag">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <TagsIcon className="size-4 text-muted-foreground" aria-hidden="true" />
          Snapshots by tag
        </CardTitle>
        <CardDescription>Each source group tags its snapshots with its name.</CardDescription>
      </CardHeader>
      <CardContent>
        {overview.snapshotsByTag.length === 0 ? (
          <p className="text-muted-foreground text-sm">No snapshots yet.</p>
        ) : (
          <dl className="divide-y">
            {overview.snapshotsByTag.map((row) => (
              <div key={row.tag} className="flex items-center justify-between gap-3 py-2 text-sm" data-tag={row.tag}>
                <dt className="min-w-0 truncate font-mono text-[13px]">{row.tag}</dt>
                <dd className="flex shrink-0 items-center gap-3">
                  <span className="text-muted-foreground text-xs">
                    latest <RelativeTime value={row.latestAt} />
                  </span>
                  <span className="min-w-8 text-right font-medium tabular-nums">{formatCount(row.count)}</span>
                </dd>
              </div>
            ))}
          </dl>
        )}
      </CardContent>
    </Card>
  );
}
