import { Badge } from "@restic-manager/ui/badge";
import { Card } from "@restic-manager/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@restic-manager/ui/table";
import { useQuery } from "@tanstack/react-query";
import { KeyRoundIcon } from "lucide-react";
import { RelativeTime } from "../../components/date-cell";
import { EmptyState } from "../../components/empty-state";
import { PageHeader } from "../../components/page-header";
import { ErrorState } from "../../components/status-screens";
import { TableSkeleton } from "../../components/table-skeleton";
import { describeError } from "../../lib/errors";
import { toDate } from "../../lib/format";
import { useTRPC } from "../../lib/trpc";
import { CreateTokenDialog } from "./create-token-dialog";
import { RevokeTokenButton } from "./revoke-token-button";

export function TokensPage() {
  const trpc = useTRPC();
  const tokens = useQuery({ ...trpc.apiTokens.list.queryOptions(), select: (page) => page.items });

  return (
    <>
      <PageHeader
        title="API tokens"
        description="Tokens let scripts call the API as you, with your role. Each is shown once, when you create it."
        actions={<CreateTokenDialog />}
      />
      <Card className="py-0">
        {tokens.isPending ? (
          <TableSkeleton />
        ) : tokens.isError ? (
          <ErrorState
            title="Could not load your API tokens"
            message={describeError(tokens.error)}
            onRetry={() => void tokens.refetch()}
          />
        ) : tokens.data.length === 0 ? (
          <EmptyState icon={<KeyRoundIcon />} title="No API tokens yet">
            Create one for each script that talks to this console.
          </EmptyState>
        ) : (
          <Table>
            <TableHeader>
              <TableRow className="hover:bg-transparent">
                <TableHead>Name</TableHead>
                <TableHead>Token</TableHead>
                <TableHead>Created</TableHead>
                <TableHead>Last used</TableHead>
                <TableHead>Expires</TableHead>
                <TableHead className="w-0">
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {tokens.data.map((token) => {
                const expires = toDate(token.expiresAt);
                const expired = expires !== null && expires.getTime() <= Date.now();
                return (
                  <TableRow key={token.id}>
                    <TableCell className="max-w-64 truncate font-medium">{token.name}</TableCell>
                    <TableCell>
                      <code className="rounded bg-muted px-1.5 py-0.5 font-mono text-xs">{token.prefix}…</code>
                    </TableCell>
                    <TableCell>
                      <RelativeTime value={token.createdAt} />
                    </TableCell>
                    <TableCell>
                      <RelativeTime value={token.lastUsedAt} never="Never" />
                    </TableCell>
                    <TableCell>
                      {expired ? (
                        <Badge variant="destructive">Expired</Badge>
                      ) : (
                        <RelativeTime value={token.expiresAt} never="Never" />
                      )}
                    </TableCell>
                    <TableCell className="text-right">
                      <RevokeTokenButton id={token.id} name={token.name} />
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        )}
      </Card>
    </>
  );
}
