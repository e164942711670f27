import { Card, CardDescription, CardHeader, CardTitle } from "@restic-manager/ui/card";
import { useQuery } from "@tanstack/react-query";
import { HourglassIcon } from "lucide-react";
import { LiveRelativeTime } from "../../components/date-cell";
import { formatClock, formatIso } from "../../lib/format";
import { useTRPC } from "../../lib/trpc";
import { LIVE_REFRESH_MS } from "./types";

/** Tokens created but not used yet; each disappears once its agent enrols or it expires. */
export function PendingEnrollments() {
  const trpc = useTRPC();
  const pending = useQuery({
    ...trpc.enrollment.pending.queryOptions(),
    select: (page) => page.items,
    refetchInterval: LIVE_REFRESH_MS,
  });
  if (!pending.data?.length) return null;

  return (
    <section aria-labelledby="pending-enrolments" className="mt-8">
      <Card className="gap-4 pb-2 shadow-none">
        <CardHeader>
          <CardTitle id="pending-enrolments" className="flex items-center gap-2 text-base">
            <HourglassIcon className="size-4 text-muted-foreground" aria-hidden="true" />
            Pending enrolments
          </CardTitle>
          <CardDescription>
            Tokens created in Add host that no agent has used yet. Each works once, for one hour.
          </CardDescription>
        </CardHeader>
        <ul className="divide-y border-t">
          {pending.data.map((token) => (
            <li key={token.id} className="flex flex-wrap items-center justify-between gap-x-4 gap-y-1 px-6 py-2.5">
              <span className="max-w-80 truncate font-medium font-mono text-[13px]">{token.hostname}</span>
              <span className="text-muted-foreground text-xs">
                created <LiveRelativeTime value={token.createdAt} /> · valid until{" "}
                <time dateTime={formatIso(token.expiresAt)} className="tabular-nums">
                  {formatClock(token.expiresAt)}
                </time>
              </span>
            </li>
          ))}
        </ul>
      </Card>
    </section>
  );
}
