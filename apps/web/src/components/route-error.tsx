import { type ErrorComponentProps, useRouter } from "@tanstack/react-router";
import { describeError, SERVER_UNREACHABLE } from "../lib/errors";
import { ErrorState } from "./status-screens";

/** The default for every route: the load failed, say why and retry the whole match. */
export function RouteError({ error, reset }: ErrorComponentProps) {
  const router = useRouter();
  const message = describeError(error);
  const unreachable = message === SERVER_UNREACHABLE;
  return (
    <ErrorState
      title={unreachable ? "Cannot reach the server" : "This page failed to load"}
      message={message}
      unreachable={unreachable}
      onRetry={() => {
        reset();
        void router.invalidate();
      }}
    />
  );
}
