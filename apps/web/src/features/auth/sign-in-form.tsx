import { ZSignInRequest } from "@restic-manager/api/schemas";
import { Button } from "@restic-manager/ui/button";
import { Input } from "@restic-manager/ui/input";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "@tanstack/react-router";
import { LoaderCircleIcon } from "lucide-react";
import { useState } from "react";
import { FormAlert } from "../../components/form-alert";
import { FormField } from "../../components/form-field";
import { describeError, errorCode } from "../../lib/errors";
import { safeRedirect } from "../../lib/safe-redirect";
import { useTRPC } from "../../lib/trpc";
import { type FieldErrors, fieldErrorsOf, formValues } from "../../lib/validation";
import { rememberSignedIn } from "./signed-in";

export function SignInForm({ redirect }: { redirect?: string | undefined }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const router = useRouter();
  const [errors, setErrors] = useState<FieldErrors>({});

  const signIn = useMutation(
    trpc.auth.signIn.mutationOptions({
      onSuccess: ({ user }) => {
        rememberSignedIn(queryClient, trpc, user);
        router.history.push(safeRedirect(redirect));
      },
    }),
  );

  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const parsed = ZSignInRequest.safeParse(formValues(event.currentTarget));
    setErrors(fieldErrorsOf(parsed));
    if (parsed.success) signIn.mutate(parsed.data);
  };

  const failure = signIn.error;
  const failureTitle = errorCode(failure) === "TOO_MANY_REQUESTS" ? "Too many attempts" : "Sign-in failed";

  return (
    <form className="grid gap-5" onSubmit={onSubmit} noValidate>
      <FormAlert title={failureTitle} message={failure ? describeError(failure) : null} />
      <FormField id="signin-username" label="Username" error={errors.username}>
        {(aria) => <Input {...aria} name="username" autoComplete="username" autoCapitalize="none" autoFocus />}
      </FormField>
      <FormField id="signin-password" label="Password" error={errors.password}>
        {(aria) => <Input {...aria} name="password" type="password" autoComplete="current-password" />}
      </FormField>
      <Button type="submit" className="w-full" disabled={signIn.isPending}>
        {signIn.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
        Sign in
      </Button>
    </form>
  );
}
