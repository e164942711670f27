import { createFileRoute } from "@tanstack/react-router";
import { TokensPage } from "../../../features/tokens/tokens-page";

export const Route = createFileRoute("/_app/settings/tokens")({
  loader: ({ context }) => context.queryClient.prefetchQuery(context.trpc.apiTokens.list.queryOptions()),
  component: TokensPage,
});
