import { Alert, AlertDescription } from "@restic-manager/ui/alert";
import { Button } from "@restic-manager/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@restic-manager/ui/card";
import { Skeleton } from "@restic-manager/ui/skeleton";
import { useQuery } from "@tanstack/react-query";
import { CloudOffIcon, InfoIcon, LoaderCircleIcon } from "lucide-react";
import type * as React from "react";
import { Brand } from "../../components/brand";
import { useDocumentTitle } from "../../lib/document-title";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { SetupForm } from "./setup-form";
import { SignInForm } from "./sign-in-form";

/**
 * /signin and /setup. Which form shows depends on the server, not the URL: while no admin
 * exists only setup is possible; afterwards only sign-in.
 */
export function AuthScreen({
  via,
  redirect,
  token,
}: {
  via: "signin" | "setup";
  redirect?: string | undefined;
  token?: string | undefined;
}) {
  const trpc = useTRPC();
  const status = useQuery(trpc.auth.status.queryOptions());

  if (status.isPending) {
    return (
      <AuthLayout title="Sign in" description="Checking the server…" busy>
        <div className="grid gap-5">
          <Skeleton className="h-14" />
          <Skeleton className="h-14" />
          <Skeleton className="h-9" />
        </div>
      </AuthLayout>
    );
  }

  if (status.isError) {
    return (
      <AuthLayout title="Cannot reach the server" description="The console needs the restic-manager server to sign in.">
        <div className="grid gap-5">
          <Alert variant="destructive">
            <CloudOffIcon aria-hidden="true" />
            <AlertDescription>{describeError(status.error)}</AlertDescription>
          </Alert>
          <Button variant="outline" onClick={() => void status.refetch()} disabled={status.isFetching}>
            {status.isFetching && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
            Try again
          </Button>
        </div>
      </AuthLayout>
    );
  }

  if (status.data.setupRequired) {
    return (
      <AuthLayout
        title="Create the admin account"
        description="First run: this console has no users yet. The first account is an admin; it can add everyone else."
        wide
      >
        <SetupForm token={token} passwordRules={status.data.passwordRules} />
      </AuthLayout>
    );
  }

  return (
    <AuthLayout title="Sign in" description="Sign in to manage your backups.">
      <div className="grid gap-5">
        {via === "setup" && (
          <Alert>
            <InfoIcon aria-hidden="true" />
            <AlertDescription>First-run setup is already complete. Sign in with your account.</AlertDescription>
          </Alert>
        )}
        <SignInForm redirect={redirect} />
      </div>
    </AuthLayout>
  );
}

function AuthLayout({
  title,
  description,
  wide = false,
  busy = false,
  children,
}: {
  title: string;
  description: string;
  wide?: boolean;
  busy?: boolean;
  children: React.ReactNode;
}) {
  useDocumentTitle(title);
  return (
    <div className="flex min-h-dvh flex-col items-center justify-center bg-muted/40 px-4 py-10 dark:bg-background">
      <div className={`flex w-full flex-col gap-6 ${wide ? "max-w-md" : "max-w-sm"}`}>
        <Brand className="justify-center text-lg" />
        <Card aria-busy={busy || undefined}>
          <CardHeader>
            <CardTitle>
              <h1 className="text-xl tracking-tight">{title}</h1>
            </CardTitle>
            <CardDescription>{description}</CardDescription>
          </CardHeader>
          <CardContent>{children}</CardContent>
        </Card>
        <p className="text-center text-muted-foreground text-xs">Backups for your fleet, run by restic.</p>
      </div>
    </div>
  );
}
