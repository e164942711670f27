import type { QueryClient } from "@tanstack/react-query";
import { isRedirect, redirect } from "@tanstack/react-router";
import { safeRedirect } from "../../lib/safe-redirect";
import type { Trpc } from "../../lib/trpc";

/** Search params of /signin and /setup. */
export interface AuthSearch {
  /** Where to go after signing in; checked by safeRedirect before use. */
  redirect?: string;
  /** The first-run setup token, when the operator followed the link from the server log. */
  token?: string;
}

export const validateAuthSearch = (search: Record<string, unknown>): AuthSearch => ({
  ...(typeof search.redirect === "string" ? { redirect: search.redirect } : {}),
  ...(typeof search.token === "string" ? { token: search.token } : {}),
});

/** beforeLoad of the sign-in pages: a signed-in visitor skips the form. */
export async function leaveIfSignedIn({
  context,
  search,
}: {
  context: { queryClient: QueryClient; trpc: Trpc };
  search: AuthSearch;
}): Promise<void> {
  try {
    const status = await context.queryClient.ensureQueryData(context.trpc.auth.status.queryOptions());
    if (status.user) throw redirect({ href: safeRedirect(search.redirect) });
  } catch (error) {
    if (isRedirect(error)) throw error;
    // The server did not answer: the page itself explains that and offers a retry.
  }
}
