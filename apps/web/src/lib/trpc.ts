import type { AppRouter } from "@restic-manager/api";
import { QueryCache, QueryClient } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { createTRPCContext, createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import superjson from "superjson";
import { errorCode, isClientError } from "./errors";

/** The server refuses cookie-authenticated mutations without it (CSRF); we send it on every call. */
const CSRF_HEADERS = { "x-rm-csrf": "1" };

export const trpcClient = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === "subscription",
      // EventSource cannot set headers; the server checks the Origin of SSE requests instead.
      true: httpSubscriptionLink({ url: "/trpc", transformer: superjson }),
      false: httpBatchLink({
        url: "/trpc",
        // The server's transformer: Dates arrive as Dates.
        transformer: superjson,
        maxURLLength: 2000,
        headers: () => CSRF_HEADERS,
        fetch: (url, init) => fetch(url, { ...init, credentials: "same-origin" }),
      }),
    }),
  ],
});

/** Called when a query learns the session is gone (expired, revoked, user disabled). */
let onSessionLost: () => void = () => {};
export function setSessionLostHandler(handler: () => void): void {
  onSessionLost = handler;
}

export const queryClient = new QueryClient({
  queryCache: new QueryCache({
    onError: (error) => {
      if (errorCode(error) === "UNAUTHORIZED") onSessionLost();
    },
  }),
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      // A 4xx will not fix itself; a dropped connection might.
      retry: (failures, error) => !isClientError(error) && failures < 1,
    },
  },
});

export const trpc = createTRPCOptionsProxy<AppRouter>({ client: trpcClient, queryClient });
export type Trpc = typeof trpc;

/** Hooks for components: `useTRPC()` returns the same options proxy as the router context's `trpc`. */
export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();
