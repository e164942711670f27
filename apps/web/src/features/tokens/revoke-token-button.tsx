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
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { LoaderCircleIcon } from "lucide-react";
import { useState } from "react";
import { toast } from "sonner";
import { FormAlert } from "../../components/form-alert";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";

export function RevokeTokenButton({ id, name }: { id: string; name: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const revoke = useMutation(
    trpc.apiTokens.revoke.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.apiTokens.list.queryKey() });
        setOpen(false);
        toast.success(`Revoked the token “${name}”.`);
      },
    }),
  );

  return (
    <AlertDialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) revoke.reset();
      }}
    >
      <AlertDialogTrigger asChild>
        <Button
          variant="ghost"
          size="sm"
          className="text-destructive hover:text-destructive"
          aria-label={`Revoke ${name}`}
        >
          Revoke
        </Button>
      </AlertDialogTrigger>
      <AlertDialogContent>
        <AlertDialogHeader>
          <AlertDialogTitle>Revoke “{name}”?</AlertDialogTitle>
          <AlertDialogDescription>
            Scripts that use this token stop working at once. This cannot be undone; you can create a new token later.
          </AlertDialogDescription>
        </AlertDialogHeader>
        <FormAlert title="Could not revoke the token" message={revoke.error ? describeError(revoke.error) : null} />
        <AlertDialogFooter>
          <AlertDialogCancel>Cancel</AlertDialogCancel>
          {/* A plain button, not AlertDialogAction: the dialog stays open until the server agrees. */}
          <Button variant="destructive" disabled={revoke.isPending} onClick={() => revoke.mutate({ id })}>
            {revoke.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
            Revoke token
          </Button>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
