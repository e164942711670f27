import { ZUpdateCredentialsRequest } from "@restic-manager/api/schemas";
import { Button } from "@restic-manager/ui/button";
import { Card, CardAction, CardContent, CardDescription, CardHeader, CardTitle } from "@restic-manager/ui/card";
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from "@restic-manager/ui/dialog";
import { Input } from "@restic-manager/ui/input";
import { Skeleton } from "@restic-manager/ui/skeleton";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { DatabaseIcon, LoaderCircleIcon, PencilIcon } from "lucide-react";
import { useState } from "react";
import { toast } from "sonner";
import { FormAlert } from "../../components/form-alert";
import { FormField } from "../../components/form-field";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { type FieldErrors, fieldErrorsOf, formValues } from "../../lib/validation";
import { hasRole, useCurrentUser } from "../auth/current-user";
import { DetailList, DetailRow } from "./detail-list";
import type { Host } from "./types";

interface Credentials {
  url: string;
  username: string | null;
  hasPassword: boolean;
}

/** Where restic keeps this host's backups. Operators see it (never the password) and change it. */
export function RepositoryCard({ host, canEdit }: { host: Host; canEdit: boolean }) {
  const user = useCurrentUser();
  const canSee = hasRole(user.role, "operator");
  const trpc = useTRPC();
  const credentials = useQuery({ ...trpc.hosts.credentials.queryOptions({ hostId: host.id }), enabled: canSee });

  return (
    <Card className="gap-5">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <DatabaseIcon className="size-4 text-muted-foreground" aria-hidden="true" />
          Repository
        </CardTitle>
        <CardDescription>The restic repository this host backs up to.</CardDescription>
        {canEdit && credentials.isSuccess && (
          <CardAction>
            <EditRepositoryDialog host={host} credentials={credentials.data} />
          </CardAction>
        )}
      </CardHeader>
      <CardContent>
        {!canSee ? (
          <p className="text-muted-foreground text-sm">Operators and admins see the repository connection.</p>
        ) : credentials.isPending ? (
          <div className="grid gap-3" role="status" aria-label="Loading">
            <Skeleton className="h-5" />
            <Skeleton className="h-5 w-2/3" />
          </div>
        ) : credentials.isError ? (
          <p role="alert" className="text-destructive text-sm">
            Could not load the repository. {describeError(credentials.error)}
          </p>
        ) : credentials.data === null ? (
          <p className="text-muted-foreground text-sm">No repository is set for this host yet.</p>
        ) : (
          <DetailList>
            <DetailRow label="URL">
              <span className="break-all font-mono text-[13px]">{credentials.data.url}</span>
            </DetailRow>
            <DetailRow label="Username">
              {credentials.data.username ? (
                <span className="break-all font-mono text-[13px]">{credentials.data.username}</span>
              ) : (
                <span className="text-muted-foreground">None</span>
              )}
            </DetailRow>
            <DetailRow label="Password">
              {credentials.data.hasPassword ? "Stored, encrypted" : <span className="text-muted-foreground">None</span>}
            </DetailRow>
          </DetailList>
        )}
      </CardContent>
    </Card>
  );
}

function EditRepositoryDialog({ host, credentials }: { host: Host; credentials: Credentials | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const update = useMutation(
    trpc.hosts.updateCredentials.mutationOptions({
      onSuccess: async () => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.hosts.credentials.queryKey({ hostId: host.id }) }),
          queryClient.invalidateQueries({ queryKey: trpc.hosts.get.queryKey({ hostId: host.id }) }),
        ]);
        setOpen(false);
        toast.success(`Saved the repository of ${host.name}.`);
      },
    }),
  );

  const onOpenChange = (next: boolean) => {
    setOpen(next);
    if (next) {
      setErrors({});
      update.reset();
    }
  };

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
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button variant="outline" size="sm">
          <PencilIcon aria-hidden="true" />
          Edit
        </Button>
      </DialogTrigger>
      <DialogContent>
        <form className="grid gap-5" onSubmit={onSubmit} noValidate>
          <DialogHeader>
            <DialogTitle>Edit repository</DialogTitle>
            <DialogDescription>
              The agent on {host.name} receives the new connection at once if it is connected, otherwise when it next
              connects.
            </DialogDescription>
          </DialogHeader>
          <FormAlert
            title="Could not save the repository"
            message={update.error ? describeError(update.error) : null}
          />
          <FormField id="edit-repo" label="Repository" error={errors.repoUrl}>
            {(aria) => (
              <Input
                {...aria}
                name="repoUrl"
                defaultValue={credentials?.url ?? ""}
                placeholder="/srv/restic/web-01 or sftp:backup@nas:/restic/web-01"
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                maxLength={2048}
                className="font-mono"
              />
            )}
          </FormField>
          <FormField
            id="edit-repo-username"
            label="Repository username"
            error={errors.repoUsername}
            hint="Optional. Only for back ends that take one."
          >
            {(aria) => (
              <Input
                {...aria}
                name="repoUsername"
                defaultValue={credentials?.username ?? ""}
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                maxLength={255}
              />
            )}
          </FormField>
          <FormField
            id="edit-repo-password"
            label="New repository password"
            error={errors.repoPassword}
            hint={
              credentials?.hasPassword
                ? "Leave empty to keep the stored password."
                : "Required: no password is stored for this host yet."
            }
          >
            {(aria) => <Input {...aria} name="repoPassword" type="password" autoComplete="new-password" />}
          </FormField>
          <DialogFooter>
            <Button variant="outline" onClick={() => onOpenChange(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={update.isPending}>
              {update.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
              Save changes
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
