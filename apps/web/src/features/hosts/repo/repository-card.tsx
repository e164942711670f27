import { ZUpdateCredentialsRequest } from "@restic-manager/api/schemas";
import { Badge } from "@restic-manager/ui/badge";
import { Button } from "@restic-manager/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@restic-manager/ui/card";
import { Input } from "@restic-manager/ui/input";
import { Skeleton } from "@restic-manager/ui/skeleton";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { DatabaseIcon, KeyRoundIcon, LoaderCircleIcon } from "lucide-react";
import type * as React from "react";
import { useState } from "react";
import { toast } from "sonner";
import { ConfirmActionDialog } from "../../../components/confirm-action-dialog";
import { FormAlert } from "../../../components/form-alert";
import { FormField } from "../../../components/form-field";
import { describeError } from "../../../lib/errors";
import { useTRPC } from "../../../lib/trpc";
import { type FieldErrors, fieldErrorsOf, formValues } from "../../../lib/validation";
import { hasRole, useCurrentUser } from "../../auth/current-user";
import { RepositoryFields } from "../repository-fields";
import type { Host } from "../types";

/** Where restic keeps this host's backups. Operators see it (never the password) and change it. */
export function RepositoryCard({ host, canEdit }: { host: Host; canEdit: boolean }) {
  const user = useCurrentUser();
  const canSee = hasRole(user.role, "operator");
  const trpc = useTRPC();
  const credentials = useQuery({ ...trpc.hosts.credentials.queryOptions({ hostId: host.id }), enabled: canSee });
  // A new key after each save remounts the form with the stored values and an empty password.
  const [generation, setGeneration] = useState(0);

  return (
    <Card className="gap-5">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <DatabaseIcon className="size-4 text-muted-foreground" aria-hidden="true" />
          Connection
        </CardTitle>
        <CardDescription>
          The restic repository this host backs up to. The agent gets a change at once if it is connected, otherwise
          when it next connects.
        </CardDescription>
      </CardHeader>
      {!canSee ? (
        <CardContent>
          <p className="text-muted-foreground text-sm">Operators and admins see the repository connection.</p>
        </CardContent>
      ) : credentials.isPending ? (
        <CardContent className="grid gap-3" role="status" aria-label="Loading">
          <Skeleton className="h-9" />
          <Skeleton className="h-9 w-2/3" />
        </CardContent>
      ) : credentials.isError ? (
        <CardContent>
          <p role="alert" className="text-destructive text-sm">
            Could not load the repository. {describeError(credentials.error)}
          </p>
        </CardContent>
      ) : (
        <ConnectionForm
          key={generation}
          host={host}
          credentials={credentials.data}
          canEdit={canEdit}
          onSaved={() => setGeneration((n) => n + 1)}
        />
      )}
    </Card>
  );
}

function ConnectionForm({
  host,
  credentials,
  canEdit,
  onSaved,
}: {
  host: Host;
  credentials: { url: string; username: string | null; hasPassword: boolean } | null;
  canEdit: boolean;
  onSaved: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<FieldErrors>({});
  const update = useMutation(
    trpc.hosts.updateCredentials.mutationOptions({
      onSuccess: async () => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.hosts.credentials.queryKey({ hostId: host.id }) }),
          queryClient.invalidateQueries({ queryKey: trpc.hosts.get.queryKey({ hostId: host.id }) }),
        ]);
        toast.success(`Saved the repository of ${host.name}.`);
        onSaved();
      },
    }),
  );

  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const parsed = ZUpdateCredentialsRequest.safeParse({ hostId: host.id, ...formValues(event.currentTarget) });
    const fieldErrors = fieldErrorsOf(parsed);
    if (parsed.success && !credentials?.hasPassword && !parsed.data.repoPassword) {
      fieldErrors.repoPassword = "Enter the repository password: none is stored yet.";
    }
    setErrors(fieldErrors);
    if (parsed.success && !fieldErrors.repoPassword) update.mutate(parsed.data);
  };

  return (
    <form onSubmit={onSubmit} noValidate aria-label="Repository connection" className="grid gap-5">
      <fieldset disabled={!canEdit} className="grid gap-5 px-6">
        <FormAlert title="Could not save the repository" message={update.error ? describeError(update.error) : null} />
        <RepositoryFields
          idPrefix="edit"
          errors={errors}
          defaults={credentials}
          passwordHint={
            credentials?.hasPassword
              ? "Leave empty to keep the stored password. It is never shown back."
              : "Required: no password is stored for this host yet."
          }
        />
      </fieldset>
      {canEdit && (
        <CardFooter className="justify-end border-t">
          <Button type="submit" disabled={update.isPending}>
            {update.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
            Save connection
          </Button>
        </CardFooter>
      )}
    </form>
  );
}

/**
 * Admins: the second, non-append-only credential that only prune uses. Its password is never
 * shown back; the card says whether one is set and for which user.
 */
export function PruneCredentialCard({ host }: { host: Host }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const credentials = useQuery(trpc.hosts.credentials.queryOptions({ hostId: host.id }));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [generation, setGeneration] = useState(0);
  const refresh = () =>
    queryClient.invalidateQueries({ queryKey: trpc.hosts.credentials.queryKey({ hostId: host.id }) });
  const save = useMutation(
    trpc.repo.updateAdminCredentials.mutationOptions({
      onSuccess: async () => {
        await refresh();
        setGeneration((n) => n + 1);
        toast.success("Saved the prune credential.");
      },
    }),
  );
  const clear = useMutation(trpc.repo.updateAdminCredentials.mutationOptions());
  const admin = credentials.data?.admin ?? null;

  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const values = formValues(event.currentTarget);
    if (!values.adminPassword) {
      setErrors({ adminPassword: "Enter the password of the user that may delete data." });
      return;
    }
    setErrors({});
    save.mutate({ hostId: host.id, username: values.adminUsername?.trim() || null, password: values.adminPassword });
  };

  return (
    <Card className="gap-5" data-testid="prune-credential">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <KeyRoundIcon className="size-4 text-muted-foreground" aria-hidden="true" />
          Prune credential
          {credentials.isSuccess &&
            (admin ? (
              <Badge variant="success" className="font-normal">
                {admin.username ? `Set for user ${admin.username}` : "Set"}
              </Badge>
            ) : (
              <Badge variant="secondary" className="font-normal">
                Not set
              </Badge>
            ))}
        </CardTitle>
        <CardDescription>
          With an append-only repository user for backups, prune needs a user that may delete data. The agent receives
          it only for a prune job. Without one, prune uses the everyday connection.
        </CardDescription>
      </CardHeader>
      <form key={generation} onSubmit={onSubmit} noValidate aria-label="Prune credential" className="grid gap-5">
        <div className="grid items-start gap-5 px-6 sm:grid-cols-2">
          <div className="sm:col-span-2">
            <FormAlert
              title="Could not save the prune credential"
              message={save.error ? describeError(save.error) : null}
            />
          </div>
          <FormField id="prune-username" label="Prune username" hint="Optional. Only for back ends that take one.">
            {(aria) => (
              <Input
                {...aria}
                name="adminUsername"
                defaultValue={admin?.username ?? ""}
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                maxLength={255}
              />
            )}
          </FormField>
          <FormField
            id="prune-password"
            label="Prune password"
            error={errors.adminPassword}
            hint={admin ? "Enter it again to change the credential; it is never shown back." : "Never shown back."}
          >
            {(aria) => <Input {...aria} name="adminPassword" type="password" autoComplete="new-password" />}
          </FormField>
        </div>
        <CardFooter className="justify-end gap-2 border-t">
          {admin && (
            <ConfirmActionDialog
              trigger={<Button variant="ghost">Clear</Button>}
              title="Clear the prune credential?"
              description="Prune then runs with the everyday connection, which fails if that user is append-only."
              confirmLabel="Clear credential"
              errorTitle="Could not clear the credential"
              mutation={clear}
              onConfirm={(close) =>
                clear.mutate(
                  { hostId: host.id, clear: true },
                  {
                    onSuccess: async () => {
                      await refresh();
                      close();
                      setGeneration((n) => n + 1);
                      toast.success("Cleared the prune credential.");
                    },
                  },
                )
              }
            />
          )}
          <Button type="submit" disabled={save.isPending}>
            {save.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
            Save prune credential
          </Button>
        </CardFooter>
      </form>
    </Card>
  );
}
