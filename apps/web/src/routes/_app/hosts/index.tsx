import { createFileRoute } from "@tanstack/react-router";
import { hasRole } from "../../../features/auth/current-user";
import { hostsPageInput, parseHostsSearch } from "../../../features/hosts/host-list-query";
import { HostsPage } from "../../../features/hosts/hosts-page";

export const Route = createFileRoute("/_app/hosts/")({
  validateSearch: parseHostsSearch,
  loaderDeps: ({ search }) => search,
  loader: ({ context, deps, cause }) => {
    const { queryClient, trpc, user } = context;
    const list = queryClient.prefetchQuery(trpc.hosts.list.queryOptions(hostsPageInput(deps)));
    // Typing a search or paging stays on the page: it keeps showing the last page until the next
    // arrives instead of waiting here.
    if (cause === "stay") return;
    return Promise.all([
      list,
      // Viewers get no pending list: the procedure is for operators.
      hasRole(user.role, "operator") ? queryClient.prefetchQuery(trpc.enrollment.pending.queryOptions()) : undefined,
    ]);
  },
  component: HostsPage,
});
