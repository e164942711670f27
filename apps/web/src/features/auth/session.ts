import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "@tanstack/react-router";
import { toast } from "sonner";
import { describeError, errorCode } from "../../lib/errors";
import { queryClient, useTRPC } from "../../lib/trpc";
import type { router as appRouter } from "../../router";

/** Paths that work signed out: a lost session there is expected, not news. */
export const isAuthPath = (pathname: string) => /^\/(signin|setup)(\/|$)/.test(pathname);

let redirecting = false;

/**
 * A query came back UNAUTHORIZED: the session expired, was revoked, or the account was
 * disabled. Forget everything cached for the old session and ask to sign in again, then
 * come back here.
 */
export function handleSessionLost(router: typeof appRouter): void {
  const { pathname, href } = router.state.location;
  if (redirecting || isAuthPath(pathname)) return;
  redirecting = true;
  queryClient.clear();
  toast.info("Your session ended. Sign in again to continue.");
  void router.navigate({ to: "/signin", search: { redirect: href } }).finally(() => {
    redirecting = false;
  });
}

export function useSignOut() {
  const trpc = useTRPC();
  const client = useQueryClient();
  const router = useRouter();
  const leave = async () => {
    client.clear();
    await router.navigate({ to: "/signin" });
  };
  return useMutation(
    trpc.auth.signOut.mutationOptions({
      onSuccess: leave,
      onError: (error) => {
        // Already signed out server-side: finish the job here.
        if (errorCode(error) === "UNAUTHORIZED") return leave();
        toast.error(`Could not sign out. ${describeError(error)}`);
      },
    }),
  );
}
