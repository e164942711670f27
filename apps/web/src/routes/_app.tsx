import { createFileRoute, redirect } from "@tanstack/react-router";
import { AppLoadError } from "../features/shell/app-load-error";
import { AppShell } from "../features/shell/app-shell";

/** Every signed-in page sits under this pathless layout: no session, no page. */
export const Route = createFileRoute("/_app")({
  beforeLoad: async ({ context, location }) => {
    const status = await context.queryClient.ensureQueryData(context.trpc.auth.status.queryOptions());
    if (!status.user) {
      throw redirect({ to: "/signin", search: location.href === "/" ? {} : { redirect: location.href } });
    }
    return { user: status.user };
  },
  component: AppShell,
  errorComponent: AppLoadError,
});
