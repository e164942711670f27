import { Button } from "@restic-manager/ui/button";
import { Link } from "@tanstack/react-router";
import { CloudOffIcon, LoaderCircleIcon, SearchXIcon, TriangleAlertIcon } from "lucide-react";
import type * as React from "react";
import { useDocumentTitle } from "../lib/document-title";

/** Shown while a route waits for its data longer than the router's pending threshold. */
export function PendingScreen() {
  return (
    <div className="flex min-h-[40vh] items-center justify-center text-muted-foreground" role="status">
      <LoaderCircleIcon className="size-5 animate-spin" aria-hidden="true" />
      <span className="sr-only">Loading</span>
    </div>
  );
}

export function StatusPanel({
  icon,
  title,
  children,
  actions,
}: {
  icon: React.ReactNode;
  title: string;
  children?: React.ReactNode;
  actions?: React.ReactNode;
}) {
  useDocumentTitle(title);
  return (
    <div className="mx-auto flex max-w-md flex-col items-center px-4 py-12 text-center">
      <div className="mb-4 flex size-12 items-center justify-center rounded-full bg-muted text-muted-foreground [&_svg]:size-6">
        {icon}
      </div>
      <h1 className="font-semibold text-xl tracking-tight">{title}</h1>
      {children && <div className="mt-2 text-muted-foreground text-sm leading-relaxed">{children}</div>}
      {actions && <div className="mt-6 flex flex-wrap justify-center gap-2">{actions}</div>}
    </div>
  );
}

/** A failed load: say what happened and offer the retry that might fix it. */
export function ErrorState({
  title = "Something went wrong",
  message,
  onRetry,
  unreachable = false,
}: {
  title?: string;
  message: string;
  onRetry?: () => void;
  unreachable?: boolean;
}) {
  return (
    <StatusPanel
      icon={unreachable ? <CloudOffIcon /> : <TriangleAlertIcon />}
      title={title}
      actions={
        onRetry && (
          <Button onClick={onRetry} variant="outline">
            Try again
          </Button>
        )
      }
    >
      <p role="alert">{message}</p>
    </StatusPanel>
  );
}

export function NotFoundScreen() {
  return (
    <div className="flex min-h-dvh items-center justify-center">
      <StatusPanel
        icon={<SearchXIcon />}
        title="Page not found"
        actions={
          <Button asChild>
            <Link to="/">Go to the dashboard</Link>
          </Button>
        }
      >
        <p>There is nothing at this address. It may have moved, or the link may be mistyped.</p>
      </StatusPanel>
    </div>
  );
}
