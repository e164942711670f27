import { Button } from "@restic-manager/ui/button";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { ConfirmActionDialog } from "../../components/confirm-action-dialog";
import { useTRPC } from "../../lib/trpc";

export function RevokeTokenButton({ id, name }: { id: string; name: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revoke = useMutation(trpc.apiTokens.revoke.mutationOptions());

  return (
    <ConfirmActionDialog
      trigger={
        <Button
          variant="ghost"
          size="sm"
          className="text-destructive hover:text-destructive"
          aria-label={`Revoke ${name}`}
        >
          Revoke
        </Button>
      }
      title={`Revoke “${name}”?`}
      description="Scripts that use this token stop working at once. This cannot be undone; you can create a new token later."
      confirmLabel="Revoke token"
      errorTitle="Could not revoke the token"
      mutation={revoke}
      onConfirm={(close) =>
        revoke.mutate(
          { id },
          {
            onSuccess: async () => {
              await queryClient.invalidateQueries({ queryKey: trpc.apiTokens.list.queryKey() });
              close();
              toast.success(`Revoked the token “${name}”.`);
            },
          },
        )
      }
    />
  );
}
