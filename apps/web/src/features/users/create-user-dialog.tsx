import { ZCreateUserRequest } from "@restic-manager/api/schemas";
import { Button } from "@restic-manager/ui/button";
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
import { NativeSelect } from "@restic-manager/ui/native-select";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { LoaderCircleIcon, UserPlusIcon } from "lucide-react";
import { useState } from "react";
import { toast } from "sonner";
import { FormAlert } from "../../components/form-alert";
import { FormField } from "../../components/form-field";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { type FieldErrors, fieldErrorsOf, formValues } from "../../lib/validation";
import { ROLE_DESCRIPTIONS, ROLE_LABELS, type Role } from "../auth/current-user";
import { ROLE_OPTIONS } from "./roles";

export function CreateUserDialog() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [role, setRole] = useState<Role>("viewer");
  const passwordRules = useQuery({ ...trpc.auth.status.queryOptions(), select: (status) => status.passwordRules });

  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: async (user) => {
        await queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
        setOpen(false);
        toast.success(`Created ${user.username} (${ROLE_LABELS[user.role]}).`);
      },
    }),
  );

  const onOpenChange = (next: boolean) => {
    setOpen(next);
    if (next) {
      setErrors({});
      setRole("viewer");
      create.reset();
    }
  };

  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const parsed = ZCreateUserRequest.safeParse(formValues(event.currentTarget));
    setErrors(fieldErrorsOf(parsed));
    if (parsed.success) create.mutate(parsed.data);
  };

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button>
          <UserPlusIcon aria-hidden="true" />
          Create user
        </Button>
      </DialogTrigger>
      <DialogContent>
        <form className="grid gap-5" onSubmit={onSubmit} noValidate>
          <DialogHeader>
            <DialogTitle>Create a user</DialogTitle>
            <DialogDescription>
              Share the password with them over a safe channel. They sign in at this console’s address.
            </DialogDescription>
          </DialogHeader>
          <FormAlert title="Could not create the user" message={create.error ? describeError(create.error) : null} />
          <FormField id="user-username" label="Username" error={errors.username}>
            {(aria) => <Input {...aria} name="username" autoComplete="off" autoCapitalize="none" autoFocus />}
          </FormField>
          <FormField id="user-password" label="Password" error={errors.password} hint={passwordRules.data}>
            {(aria) => <Input {...aria} name="password" type="password" autoComplete="new-password" />}
          </FormField>
          <FormField id="user-role" label="Role" error={errors.role} hint={ROLE_DESCRIPTIONS[role]}>
            {(aria) => (
              <NativeSelect
                {...aria}
                name="role"
                value={role}
                onChange={(event) => setRole(event.currentTarget.value as Role)}
              >
                {ROLE_OPTIONS.map((option) => (
                  <option key={option.value} value={option.value}>
                    {option.label}
                  </option>
                ))}
              </NativeSelect>
            )}
          </FormField>
          <DialogFooter>
            <Button variant="outline" onClick={() => onOpenChange(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={create.isPending}>
              {create.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
              Create user
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
