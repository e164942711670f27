import type { QueryClient } from "@tanstack/react-query";
import { createRootRouteWithContext, Outlet } from "@tanstack/react-router";
import { Toaster } from "sonner";
import { NotFoundScreen } from "../components/status-screens";
import { useTheme } from "../lib/theme";
import type { Trpc } from "../lib/trpc";

/** What every route's loaders and beforeLoad receive. */
export interface RouterContext {
  queryClient: QueryClient;
  trpc: Trpc;
}

export const Route = createRootRouteWithContext<RouterContext>()({
  component: RootLayout,
  notFoundComponent: NotFoundScreen,
});

function RootLayout() {
  const { resolved } = useTheme();
  return (
    <>
      <Outlet />
      <Toaster theme={resolved} position="bottom-right" richColors closeButton />
    </>
  );
}
