import { createFileRoute } from "@tanstack/react-router";
import { AuthScreen } from "../features/auth/auth-screen";
import { leaveIfSignedIn, validateAuthSearch } from "../features/auth/auth-search";

export const Route = createFileRoute("/signin")({
  validateSearch: validateAuthSearch,
  beforeLoad: leaveIfSignedIn,
  component: SignInPage,
});

function SignInPage() {
  const { redirect, token } = Route.useSearch();
  return <AuthScreen via="signin" redirect={redirect} token={token} />;
}
