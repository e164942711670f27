import { createFileRoute } from "@tanstack/react-router";
import { hasRole } from "../../../features/auth/current-user";
import { HostPage } from "../../../features/hosts/host-page";

export const Route = createFileRoute("/_app/hosts/$hostId")({
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
  return <HostPage hostId={hostId} />;
}
