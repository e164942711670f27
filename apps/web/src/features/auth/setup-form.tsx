import { PASSWORD_MIN, ZSetupRequest } from "@restic-manager/api/schemas";
import { Button } from "@restic-manager/ui/button";
import { Input } from "@restic-manager/ui/input";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "@tanstack/react-router";
import { LoaderCircleIcon } from "lucide-react";
import { useState } from "react";
import { FormAlert } from "../../components/form-alert";
import { FormField } from "../../components/form-field";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { type FieldErrors, fieldErrorsOf, formValues } from "../../lib/validation";
import { rememberSignedIn } from "./signed-in";

/** First run: trade the setup token from the server log for the first admin account. */
export function SetupForm({ token, passwordRules }: { token?: string | undefined; passwordRules: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [errors, setErrors] = useState<FieldErrors>({});

  const setup = useMutation(
    trpc.auth.setup.mutationOptions({
      onSuccess: ({ user }) => {
        rememberSignedIn(queryClient, trpc, user);
        // Replace: the setup URL carries the (now spent) token; keep it out of history.
        router.history.replace("/");
      },
    }),
  );

  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const values = formValues(event.currentTarget);
    const parsed = ZSetupRequest.safeParse(values);
    const next = fieldErrorsOf(parsed);
    if (!next.confirm && values.password !== values.confirm) next.confirm = "The two passwords differ.";
    setErrors(next);
    if (parsed.success && !next.confirm) setup.mutate(parsed.data);
  };

  return (
    <form className="grid gap-5" onSubmit={onSubmit} noValidate>
      <FormAlert title="Could not create the admin account" message={setup.error ? describeError(setup.error) : null} />
      <FormField
        id="setup-token"
        label="Setup token"
        error={errors.token}
        hint="The server prints it at start-up, at the end of the setup link in its log."
      >
        {(aria) => (
          <Input
            {...aria}
            name="token"
            defaultValue={token ?? ""}
            autoComplete="off"
            spellCheck={false}
            className="font-mono"
            autoFocus={!token}
          />
        )}
      </FormField>
      <FormField id="setup-username" label="Username" error={errors.username}>
        {(aria) => (
          <Input {...aria} name="username" defaultValue="admin" autoComplete="username" autoCapitalize="none" />
        )}
      </FormField>
      <FormField id="setup-password" label="Password" error={errors.password} hint={passwordRules}>
        {(aria) => (
          <Input
            {...aria}
            name="password"
            type="password"
            autoComplete="new-password"
            minLength={PASSWORD_MIN}
            autoFocus={Boolean(token)}
          />
        )}
      </FormField>
      <FormField id="setup-confirm" label="Confirm password" error={errors.confirm}>
        {(aria) => <Input {...aria} name="confirm" type="password" autoComplete="new-password" />}
      </FormField>
      <Button type="submit" className="w-full" disabled={setup.isPending}>
        {setup.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
        Create admin account
      </Button>
    </form>
  );
}
