import { Button } from "@restic-manager/ui/button";
import { LoaderCircleIcon } from "lucide-react";
import { describeError } from "../../lib/errors";

interface Pager {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  isFetchNextPageError: boolean;
  error: unknown;
  fetchNextPage: () => Promise<unknown>;
}

/** Under a paged table: "Load more", or how many rows there are in all. */
export function LoadMore({ query, count, noun }: { query: Pager; count: number; noun: [string, string] }) {
  if (count === 0) return null;
  return (
    <>
      <div className="mt-4 flex items-center justify-center">
        {query.hasNextPage ? (
          <Button variant="outline" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
            {query.isFetchingNextPage && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
            Load more
          </Button>
        ) : (
          <p className="text-muted-foreground text-sm">
            {count} {count === 1 ? noun[0] : noun[1]}, all of them.
          </p>
        )}
      </div>
      {query.isFetchNextPageError && (
        <p role="alert" className="mt-2 text-center text-destructive text-sm">
          {describeError(query.error)}
        </p>
      )}
    </>
  );
}
