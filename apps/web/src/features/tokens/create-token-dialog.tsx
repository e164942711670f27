import { ZCreateApiTokenRequest } from "@restic-manager/api/schemas";
import { Alert, AlertDescription, AlertTitle } from "@restic-manager/ui/alert";
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
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { CheckIcon, CopyIcon, LoaderCircleIcon, PlusIcon, TriangleAlertIcon } from "lucide-react";
import { useRef, useState } from "react";
import { toast } from "sonner";
import { FormAlert } from "../../components/form-alert";
import { FormField } from "../../components/form-field";
import { copyText } from "../../lib/clipboard";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { type FieldErrors, fieldErrorsOf, formValues } from "../../lib/validation";

const EXPIRY_OPTIONS = [
  { value: "30", label: "In 30 days" },
  { value: "90", label: "In 90 days" },
  { value: "365", label: "In 1 year" },
  { value: "", label: "Never" },
];

export function CreateTokenDialog() {
  const [open, setOpen] = useState(false);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);

  const onOpenChange = (next: boolean) => {
    setOpen(next);
    // Forget the secret as soon as the dialog closes.
    if (!next) setCreated(null);
  };

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button>
          <PlusIcon aria-hidden="true" />
          Create token
        </Button>
      </DialogTrigger>
      <DialogContent
        // While the token is on screen a stray click outside must not throw it away.
        onInteractOutside={(event) => created && event.preventDefault()}
      >
        {created ? (
          <ShowToken {...created} onDone={() => onOpenChange(false)} />
        ) : (
          <CreateTokenForm onCreated={setCreated} onCancel={() => onOpenChange(false)} />
        )}
      </DialogContent>
    </Dialog>
  );
}

function CreateTokenForm({
  onCreated,
  onCancel,
}: {
  onCreated: (created: { name: string; token: string }) => void;
  onCancel: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<FieldErrors>({});
  const create = useMutation(
    trpc.apiTokens.create.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.apiTokens.list.queryKey() }),
    }),
  );

  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const values = formValues(event.currentTarget);
    const parsed = ZCreateApiTokenRequest.safeParse({
      name: values.name,
      ...(values.expiresInDays ? { expiresInDays: Number(values.expiresInDays) } : {}),
    });
    setErrors(fieldErrorsOf(parsed));
    if (!parsed.success) return;
    create.mutate(parsed.data, {
      onSuccess: ({ token }) => onCreated({ name: parsed.data.name, token }),
    });
  };

  return (
    <form className="grid gap-5" onSubmit={onSubmit} noValidate>
      <DialogHeader>
        <DialogTitle>Create an API token</DialogTitle>
        <DialogDescription>
          A token acts as you, with your role. Give each script its own token so you can revoke one without breaking the
          others.
        </DialogDescription>
      </DialogHeader>
      <FormAlert title="Could not create the token" message={create.error ? describeError(create.error) : null} />
      <FormField id="token-name" label="Name" error={errors.name} hint="What uses it, e.g. “nightly report script”.">
        {(aria) => <Input {...aria} name="name" autoComplete="off" maxLength={64} autoFocus />}
      </FormField>
      <FormField id="token-expiry" label="Expires" error={errors.expiresInDays}>
        {(aria) => (
          <NativeSelect {...aria} name="expiresInDays" defaultValue="90">
            {EXPIRY_OPTIONS.map((option) => (
              <option key={option.label} value={option.value}>
                {option.label}
              </option>
            ))}
          </NativeSelect>
        )}
      </FormField>
      <DialogFooter>
        <Button variant="outline" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" disabled={create.isPending}>
          {create.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
          Create token
        </Button>
      </DialogFooter>
    </form>
  );
}

function ShowToken({ name, token, onDone }: { name: string; token: string; onDone: () => void }) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState(false);

  const copy = async () => {
    if (await copyText(token, field.current)) {
      setCopied(true);
      toast.success("Token copied to the clipboard.");
    } else {
      field.current?.select();
      toast.error("Could not copy automatically. The token is selected: press Ctrl+C (⌘C on a Mac).");
    }
  };

  return (
    <div className="grid gap-5">
      <DialogHeader>
        <DialogTitle>Copy your new token</DialogTitle>
        <DialogDescription>
          The token “{name}” is ready. Scripts send it in the <code className="font-mono">Authorization</code> header as{" "}
          <code className="font-mono">Bearer &lt;token&gt;</code>.
        </DialogDescription>
      </DialogHeader>
      <Alert variant="warning">
        <TriangleAlertIcon aria-hidden="true" />
        <AlertTitle>It will not be shown again</AlertTitle>
        <AlertDescription>
          Copy it now and store it somewhere safe. Lost it? Revoke it and create another.
        </AlertDescription>
      </Alert>
      <FormField id="new-token" label="API token">
        {(aria) => (
          <div className="flex gap-2">
            <Input
              {...aria}
              ref={field}
              value={token}
              readOnly
              spellCheck={false}
              className="font-mono text-xs md:text-xs"
              onFocus={(event) => event.currentTarget.select()}
            />
            <Button
              variant="outline"
              onClick={copy}
              aria-label={copied ? "Token copied" : "Copy token"}
              className="shrink-0"
            >
              {copied ? <CheckIcon aria-hidden="true" /> : <CopyIcon aria-hidden="true" />}
              {copied ? "Copied" : "Copy"}
            </Button>
          </div>
        )}
      </FormField>
      <DialogFooter>
        <Button onClick={onDone}>Done</Button>
      </DialogFooter>
    </div>
  );
}
