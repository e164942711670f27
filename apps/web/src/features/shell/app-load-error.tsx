import type { ErrorComponentProps } from "@tanstack/react-router";
import { Brand } from "../../components/brand";
import { RouteError } from "../../components/route-error";

/** The signed-in layout could not even learn who is signed in: no shell to draw yet. */
export function AppLoadError(props: ErrorComponentProps) {
  return (
    <div className="flex min-h-dvh flex-col items-center justify-center bg-muted/40 px-4 dark:bg-background">
      <Brand className="text-lg" />
      <RouteError {...props} />
    </div>
  );
}
