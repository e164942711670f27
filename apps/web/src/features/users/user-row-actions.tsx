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
import { NativeSelect } from "@restic-manager/ui/native-select";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "@tanstack/react-router";
import { LoaderCircleIcon } from "lucide-react";
import { useState } from "react";
import { toast } from "sonner";
import { FormAlert } from "../../components/form-alert";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { ROLE_LABELS, type Role } from "../auth/current-user";
import { ROLE_OPTIONS } from "./roles";

interface UserRef {
  id: string;
  username: string;
  role: Role;
  isSelf: boolean;
}

/** The role select in a user's row: changes apply at once, the server has the last word. */
export function RoleSelect({ user, disabled }: { user: UserRef; disabled?: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const setRole = useMutation(
    trpc.users.setRole.mutationOptions({
      onSuccess: async (_result, { role }) => {
        await queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
        toast.success(`${user.username} is now ${ROLE_LABELS[role].toLowerCase()}.`);
        if (user.isSelf) {
          // Our own role changed: refresh who we are, and with it the navigation.
          await queryClient.invalidateQueries({ queryKey: trpc.auth.status.queryKey() });
          await router.invalidate();
        }
      },
      onError: (error) => toast.error(`Could not change the role of ${user.username}. ${describeError(error)}`),
    }),
  );

  return (
    <NativeSelect
      aria-label={`Role of ${user.username}`}
      value={setRole.isPending ? setRole.variables.role : user.role}
      disabled={disabled || setRole.isPending}
      onChange={(event) => setRole.mutate({ userId: user.id, role: event.currentTarget.value as Role })}
      wrapperClassName="w-32"
      className="h-8"
    >
      {ROLE_OPTIONS.map((option) => (
        <option key={option.value} value={option.value}>
          {option.label}
        </option>
      ))}
    </NativeSelect>
  );
}

export function DisableUserButton({ user, disabled }: { user: UserRef; disabled: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const setDisabled = useMutation(
    trpc.users.setDisabled.mutationOptions({
      onSuccess: async (_result, input) => {
        await queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
        setOpen(false);
        toast.success(input.disabled ? `Disabled ${user.username}.` : `Enabled ${user.username}.`);
      },
    }),
  );

  if (disabled) {
    return (
      <Button
        variant="outline"
        size="sm"
        disabled={setDisabled.isPending}
        aria-label={`Enable ${user.username}`}
        onClick={() =>
          setDisabled.mutate(
            { userId: user.id, disabled: false },
            { onError: (error) => toast.error(`Could not enable ${user.username}. ${describeError(error)}`) },
          )
        }
      >
        {setDisabled.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
        Enable
      </Button>
    );
  }

  return (
    <AlertDialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) setDisabled.reset();
      }}
    >
      <AlertDialogTrigger asChild>
        <Button
          variant="ghost"
          size="sm"
          className="text-destructive hover:text-destructive"
          disabled={user.isSelf}
          title={user.isSelf ? "You cannot disable your own account." : undefined}
          aria-label={`Disable ${user.username}`}
        >
          Disable
        </Button>
      </AlertDialogTrigger>
      <AlertDialogContent>
        <AlertDialogHeader>
          <AlertDialogTitle>Disable {user.username}?</AlertDialogTitle>
          <AlertDialogDescription>
            They are signed out everywhere at once and cannot sign in until an admin enables the account again. Nothing
            they own is deleted.
          </AlertDialogDescription>
        </AlertDialogHeader>
        <FormAlert
          title="Could not disable the user"
          message={setDisabled.error ? describeError(setDisabled.error) : null}
        />
        <AlertDialogFooter>
          <AlertDialogCancel>Cancel</AlertDialogCancel>
          <Button
            variant="destructive"
            disabled={setDisabled.isPending}
            onClick={() => setDisabled.mutate({ userId: user.id, disabled: true })}
          >
            {setDisabled.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
            Disable user
          </Button>
        </AlertDialogFooter>
      </AlertDialogContent>
    </AlertDialog>
  );
}
