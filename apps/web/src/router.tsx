import { createRouter } from "@tanstack/react-router";
import { RouteError } from "./components/route-error";
import { PendingScreen } from "./components/status-screens";
import { queryClient, trpc } from "./lib/trpc";
import { routeTree } from "./routeTree.gen";

export const router = createRouter({
  routeTree,
  context: { queryClient, trpc },
  defaultPreload: "intent",
  // TanStack Query owns caching; let every preload go through it.
  defaultPreloadStaleTime: 0,
  defaultPendingComponent: PendingScreen,
  defaultErrorComponent: RouteError,
  scrollRestoration: true,
});

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router;
  }
}
