import { createFileRoute, isRedirect, redirect } from "@tanstack/react-router";
import { AuthScreen } from "../features/auth/auth-screen";
import { safeRedirect } from "../lib/safe-redirect";

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

/** Already signed in: skip the form. A server that cannot answer is the page's to explain. */
export async function leaveIfSignedIn({
  context,
  search,
}: {
  context: { queryClient: import("@tanstack/react-query").QueryClient; trpc: import("../lib/trpc").Trpc };
  search: AuthSearch;
}) {
  try {
    const status = await context.queryClient.ensureQueryData(context.trpc.auth.status.queryOptions());
    if (status.user) throw redirect({ href: safeRedirect(search.redirect) });
  } catch (error) {
    if (isRedirect(error)) throw error;
  }
}

export const Route = createFileRoute("/signin")({
  validateSearch: validateAuthSearch,
  beforeLoad: leaveIfSignedIn,
  component: SignInPage,
});

function SignInPage() {
  const { redirect, token } = Route.useSearch();
  return <AuthScreen via="signin" redirect={redirect} token={token} />;
}
