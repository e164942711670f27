import type { QueryClient } from "@tanstack/react-query";
import type { Trpc } from "../../lib/trpc";
import type { Role } from "./current-user";

/**
 * A sign-in or setup just succeeded (the server set the session cookie). Drop whatever the
 * signed-out visitor had cached and record the new user, so the layout guard lets them in
 * without another round trip.
 */
export function rememberSignedIn(
  queryClient: QueryClient,
  trpc: Trpc,
  user: { id: string; username: string; role: Role },
): void {
  const key = trpc.auth.status.queryKey();
  const previous = queryClient.getQueryData(key);
  queryClient.clear();
  queryClient.setQueryData(key, { setupRequired: false, passwordRules: previous?.passwordRules ?? "", user });
}
