import { createFileRoute } from "@tanstack/react-router";
import { hasRole } from "../../../features/auth/current-user";
import { HostPage } from "../../../features/hosts/host-page";
import { parseHostSearch } from "../../../features/hosts/tabs";

export const Route = createFileRoute("/_app/hosts/$hostId")({
  validateSearch: parseHostSearch,
  loader: ({ context, params }) => {
    const { queryClient, trpc, user } = context;
    const input = { hostId: params.hostId };
    return Promise.all([
      queryClient.prefetchQuery(trpc.hosts.get.queryOptions(input)),
      hasRole(user.role, "operator")
        ? queryClient.prefetchQuery(trpc.hosts.credentials.queryOptions(input))
        : undefined,
    ]);
  },
  component: HostRoute,
});

function HostRoute() {
  const { hostId } = Route.useParams();
  const { tab = "snapshots", edit } = Route.useSearch();
  return <HostPage hostId={hostId} tab={tab} edit={edit} />;
}
