import { createFileRoute } from "@tanstack/react-router";
import { DashboardPage } from "../../features/dashboard/dashboard-page";
import { DASHBOARD_HOSTS_INPUT } from "../../features/hosts/host-list-query";

export const Route = createFileRoute("/_app/")({
  // Start both requests early but render at once: the tiles and the table have their own skeletons.
  loader: ({ context }) => {
    void context.queryClient.prefetchQuery(context.trpc.hosts.summary.queryOptions());
    void context.queryClient.prefetchQuery(context.trpc.hosts.list.queryOptions(DASHBOARD_HOSTS_INPUT));
  },
  component: DashboardPage,
});
