import { Badge } from "@restic-manager/ui/badge";
import { Card } from "@restic-manager/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@restic-manager/ui/table";
import { useQuery } from "@tanstack/react-query";
import { UsersIcon } from "lucide-react";
import { RelativeTime } from "../../components/date-cell";
import { EmptyState } from "../../components/empty-state";
import { Forbidden } from "../../components/forbidden";
import { PageHeader } from "../../components/page-header";
import { ErrorState } from "../../components/status-screens";
import { TableSkeleton } from "../../components/table-skeleton";
import { describeError, errorCode } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { useCurrentUser } from "../auth/current-user";
import { CreateUserDialog } from "./create-user-dialog";
import { DisableUserButton, RoleSelect } from "./user-row-actions";

export function UsersPage() {
  const me = useCurrentUser();
  const trpc = useTRPC();
  const users = useQuery({
    ...trpc.users.list.queryOptions(),
    select: (page) => page.items,
    enabled: me.role === "admin",
  });

  if (me.role !== "admin" || errorCode(users.error) === "FORBIDDEN") {
    return <Forbidden role={me.role} username={me.username} needed="admin" />;
  }

  return (
    <>
      <PageHeader
        title="Users"
        description="Everyone who can sign in to this console, and what their role lets them do."
        actions={<CreateUserDialog />}
      />
      <Card className="py-0">
        {users.isPending ? (
          <TableSkeleton />
        ) : users.isError ? (
          <ErrorState
            title="Could not load the users"
            message={describeError(users.error)}
            onRetry={() => void users.refetch()}
          />
        ) : users.data.length === 0 ? (
          <EmptyState icon={<UsersIcon />} title="No users" />
        ) : (
          <Table>
            <TableHeader>
              <TableRow className="hover:bg-transparent">
                <TableHead>Username</TableHead>
                <TableHead>Role</TableHead>
                <TableHead>Status</TableHead>
                <TableHead>Last sign-in</TableHead>
                <TableHead>Created</TableHead>
                <TableHead className="w-0">
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {users.data.map((user) => {
                const ref = { id: user.id, username: user.username, role: user.role, isSelf: user.id === me.id };
                const disabled = user.disabledAt !== null;
                return (
                  <TableRow key={user.id} className={disabled ? "text-muted-foreground" : undefined}>
                    <TableCell className="font-medium">
                      <span className="flex items-center gap-2">
                        <span className="max-w-56 truncate">{user.username}</span>
                        {ref.isSelf && <Badge variant="outline">You</Badge>}
                      </span>
                    </TableCell>
                    <TableCell>
                      <RoleSelect user={ref} />
                    </TableCell>
                    <TableCell>
                      {disabled ? (
                        <Badge variant="destructive">Disabled</Badge>
                      ) : (
                        <Badge variant="success">Active</Badge>
                      )}
                    </TableCell>
                    <TableCell>
                      <RelativeTime value={user.lastSignInAt} never="Never" />
                    </TableCell>
                    <TableCell>
                      <RelativeTime value={user.createdAt} />
                    </TableCell>
                    <TableCell className="text-right">
                      <DisableUserButton user={ref} disabled={disabled} />
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
