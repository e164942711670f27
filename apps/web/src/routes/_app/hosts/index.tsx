import { createFileRoute } from "@tanstack/react-router";
import { hasRole } from "../../../features/auth/current-user";
import { HostsPage } from "../../../features/hosts/hosts-page";

export const Route = createFileRoute("/_app/hosts/")({
  loader: ({ context }) => {
    const { queryClient, trpc, user } = context;
    return Promise.all([
      queryClient.prefetchQuery(trpc.hosts.list.queryOptions()),
      // Viewers get no pending list: the procedure is for operators.
      hasRole(user.role, "operator") ? queryClient.prefetchQuery(trpc.enrollment.pending.queryOptions()) : undefined,
    ]);
  },
  component: HostsPage,
});
