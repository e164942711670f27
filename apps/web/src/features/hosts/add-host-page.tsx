import { ZCreateEnrollmentRequest } from "@restic-manager/api/schemas";
import { Button } from "@restic-manager/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@restic-manager/ui/card";
import { Input } from "@restic-manager/ui/input";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { LoaderCircleIcon } from "lucide-react";
import { useState } from "react";
import { BackLink } from "../../components/back-link";
import { Forbidden } from "../../components/forbidden";
import { FormAlert } from "../../components/form-alert";
import { FormField } from "../../components/form-field";
import { PageHeader } from "../../components/page-header";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { type FieldErrors, fieldErrorsOf, formValues } from "../../lib/validation";
import { hasRole, useCurrentUser } from "../auth/current-user";
import { EnrollmentResult } from "./enrollment-result";
import { RepositoryFields } from "./repository-fields";
import type { Enrollment } from "./types";

/** /hosts/new: the form, then (same page) the install commands and the live "awaiting agent" panel. */
export function AddHostPage() {
  const user = useCurrentUser();
  const [created, setCreated] = useState<Enrollment | null>(null);

  if (!hasRole(user.role, "operator")) return <Forbidden role={user.role} username={user.username} needed="operator" />;

  return (
    <>
      <BackLink to="/hosts">All hosts</BackLink>
      <PageHeader
        title="Add host"
        description={
          created
            ? "Install the agent on the host with one of the commands below. This page follows it until it connects."
            : "Name the host and give it its restic repository. You get a one-time install command for Linux and Windows."
        }
      />
      {created ? (
        <EnrollmentResult enrollment={created} onStartOver={() => setCreated(null)} />
      ) : (
        <AddHostForm onCreated={setCreated} />
      )}
    </>
  );
}

const STEPS = [
  "Create an enrolment token here: it is valid for one hour and works once.",
  "Run the install command on the host as root (Linux) or in an elevated PowerShell (Windows).",
  "The agent enrols, connects back, and receives the repository credentials over its own connection.",
];

function AddHostForm({ onCreated }: { onCreated: (enrollment: Enrollment) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<FieldErrors>({});
  const create = useMutation(
    trpc.enrollment.create.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.enrollment.pending.queryKey() }),
    }),
  );

  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const parsed = ZCreateEnrollmentRequest.safeParse(formValues(event.currentTarget));
    setErrors(fieldErrorsOf(parsed));
    if (!parsed.success) return;
    create.mutate(parsed.data, { onSuccess: (result) => onCreated({ ...result, hostname: parsed.data.hostname }) });
  };

  return (
    <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,1fr)_18rem]">
      <Card>
        <form onSubmit={onSubmit} noValidate className="grid gap-6">
          <CardHeader>
            <CardTitle>New host</CardTitle>
            <CardDescription>The repository settings go to the agent; you can change them later.</CardDescription>
          </CardHeader>
          <CardContent className="grid gap-5">
            <FormAlert
              title="Could not create the enrolment token"
              message={create.error ? describeError(create.error) : null}
            />
            <FormField
              id="host-name"
              label="Host name"
              error={errors.hostname}
              hint="How the console names this machine, e.g. web-01 or db-01.example.com."
            >
              {(aria) => (
                <Input
                  {...aria}
                  name="hostname"
                  placeholder="web-01"
                  autoComplete="off"
                  autoCapitalize="none"
                  spellCheck={false}
                  maxLength={255}
                  autoFocus
                  className="font-mono"
                />
              )}
            </FormField>
            <RepositoryFields
              idPrefix="host"
              errors={errors}
              passwordHint="Stored encrypted; only the agent receives it."
            />
          </CardContent>
          <CardFooter className="justify-end gap-2 border-t pt-6">
            <Button asChild variant="outline">
              <Link to="/hosts">Cancel</Link>
            </Button>
            <Button type="submit" disabled={create.isPending}>
              {create.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
              Create enrolment token
            </Button>
          </CardFooter>
        </form>
      </Card>

      <aside aria-labelledby="enrolment-steps" className="rounded-xl border border-dashed p-5 text-sm">
        <h2 id="enrolment-steps" className="font-medium">
          How enrolment works
        </h2>
        <ol className="mt-3 grid gap-3 text-muted-foreground">
          {STEPS.map((step, index) => (
            <li key={step} className="flex gap-3">
              <span
                aria-hidden="true"
                className="flex size-5 shrink-0 items-center justify-center rounded-full bg-muted font-medium text-foreground text-xs tabular-nums"
              >
                {index + 1}
              </span>
              <span className="leading-relaxed">{step}</span>
            </li>
          ))}
        </ol>
      </aside>
    </div>
  );
}
