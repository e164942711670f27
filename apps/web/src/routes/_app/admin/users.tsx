import { createFileRoute } from "@tanstack/react-router";
import { UsersPage } from "../../../features/users/users-page";

export const Route = createFileRoute("/_app/admin/users")({
  loader: ({ context }) => {
    // Non-admins get the "needs the admin role" page without a doomed request.
    if (context.user.role === "admin") return context.queryClient.prefetchQuery(context.trpc.users.list.queryOptions());
  },
  component: UsersPage,
});
