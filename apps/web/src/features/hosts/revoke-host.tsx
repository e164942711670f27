import {
  AlertDialog,
  AlertDialogCancel,
  AlertDialogContent,
  AlertDialogDescription,
  AlertDialogFooter,
  AlertDialogHeader,
  AlertDialogTitle,
  AlertDialogTrigger,
} from "@restic-manager/ui/alert-dialog";
import { Button } from "@restic-manager/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@restic-manager/ui/card";
import { Input } from "@restic-manager/ui/input";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { LoaderCircleIcon } from "lucide-react";
import { useState } from "react";
import { toast } from "sonner";
import { FormAlert } from "../../components/form-alert";
import { FormField } from "../../components/form-field";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import type { Host } from "./types";

/** Admins only: cut the agent off. Typing the host's name guards against the wrong tab. */
export function RevokeHostCard({ host }: { host: Host }) {
  return (
    <Card className="mt-6 gap-4 border-destructive/30">
      <CardHeader>
        <CardTitle className="text-destructive">Danger zone</CardTitle>
        <CardDescription>Actions that cannot be undone.</CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-4 sm:flex-row sm:items-center sm:justify-between">
        <div className="text-sm">
          <p className="font-medium">Revoke agent</p>
          <p className="mt-0.5 max-w-xl text-muted-foreground">
            Disconnects the agent at once and its credentials stop working for good. The host and its history stay; to
            back it up again, enrol it anew.
          </p>
        </div>
        <RevokeHostButton host={host} />
      </CardContent>
    </Card>
  );
}

function RevokeHostButton({ host }: { host: Host }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const revoke = useMutation(
    trpc.hosts.revoke.mutationOptions({
      onSuccess: async () => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.hosts.get.queryKey({ hostId: host.id }) }),
          queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() }),
        ]);
        setOpen(false);
        toast.success(`Revoked the agent of ${host.name}.`);
      },
    }),
  );
  const confirmed = typed.trim() === host.name;

  const onOpenChange = (next: boolean) => {
    setOpen(next);
    if (!next) {
      setTyped("");
      revoke.reset();
    }
  };

  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (confirmed && !revoke.isPending) revoke.mutate({ hostId: host.id });
  };

  return (
    <AlertDialog open={open} onOpenChange={onOpenChange}>
      <AlertDialogTrigger asChild>
        <Button variant="destructive" className="shrink-0">
          Revoke agent
        </Button>
      </AlertDialogTrigger>
      <AlertDialogContent>
        <form className="grid gap-4" onSubmit={onSubmit} noValidate>
          <AlertDialogHeader>
            <AlertDialogTitle>
              Revoke the agent of <span className="break-all font-mono">{host.name}</span>?
            </AlertDialogTitle>
            <AlertDialogDescription>
              Its connection closes within seconds and its credentials stop working. This cannot be undone; the host
              keeps its history.
            </AlertDialogDescription>
          </AlertDialogHeader>
          <FormAlert title="Could not revoke the agent" message={revoke.error ? describeError(revoke.error) : null} />
          <FormField
            id="revoke-confirm"
            label="Type the host name to confirm"
            hint={
              <>
                Type <span className="select-all font-medium font-mono text-foreground">{host.name}</span>
              </>
            }
          >
            {(aria) => (
              <Input
                {...aria}
                value={typed}
                onChange={(event) => setTyped(event.currentTarget.value)}
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                className="font-mono"
                autoFocus
              />
            )}
          </FormField>
          <AlertDialogFooter>
            <AlertDialogCancel>Cancel</AlertDialogCancel>
            <Button type="submit" variant="destructive" disabled={!confirmed || revoke.isPending}>
              {revoke.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
              Revoke
            </Button>
          </AlertDialogFooter>
        </form>
      </AlertDialogContent>
    </AlertDialog>
  );
}
