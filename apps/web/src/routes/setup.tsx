import { createFileRoute } from "@tanstack/react-router";
import { AuthScreen } from "../features/auth/auth-screen";
import { leaveIfSignedIn, validateAuthSearch } from "../features/auth/auth-search";

/** The link the server logs on first start: <public url>/setup?token=… */
export const Route = createFileRoute("/setup")({
  validateSearch: validateAuthSearch,
  beforeLoad: leaveIfSignedIn,
  component: SetupPage,
});

function SetupPage() {
  const { token } = Route.useSearch();
  return <AuthScreen via="setup" token={token} />;
}
