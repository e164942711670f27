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
import { Input } from "@restic-manager/ui/input";
import { LoaderCircleIcon } from "lucide-react";
import type * as React from "react";
import { useState } from "react";
import { FormAlert } from "../../components/form-alert";
import { FormField } from "../../components/form-field";
import { describeError } from "../../lib/errors";

interface MutationState {
  isPending: boolean;
  error: unknown;
  reset: () => void;
}

/**
 * A destructive action on a host behind a confirmation where the operator types the host's
 * name: it guards against acting in the wrong tab. `onConfirm` gets a function that closes
 * the dialog, for actions that stay on the page.
 */
export function TypedConfirmButton({
  id,
  hostName,
  triggerLabel,
  title,
  description,
  confirmLabel,
  errorTitle,
  mutation,
  onConfirm,
  variant = "destructive",
}: {
  id: string;
  hostName: string;
  triggerLabel: string;
  title: React.ReactNode;
  description: React.ReactNode;
  confirmLabel: string;
  errorTitle: string;
  mutation: MutationState;
  onConfirm: (close: () => void) => void;
  variant?: "destructive" | "outline";
}) {
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const confirmed = typed.trim() === hostName;

  const onOpenChange = (next: boolean) => {
    setOpen(next);
    if (!next) {
      setTyped("");
      mutation.reset();
    }
  };

  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (confirmed && !mutation.isPending) onConfirm(() => onOpenChange(false));
  };

  return (
    <AlertDialog open={open} onOpenChange={onOpenChange}>
      <AlertDialogTrigger asChild>
        <Button variant={variant} className="shrink-0">
          {triggerLabel}
        </Button>
      </AlertDialogTrigger>
      <AlertDialogContent>
        <form className="grid gap-4" onSubmit={onSubmit} noValidate>
          <AlertDialogHeader>
            <AlertDialogTitle>{title}</AlertDialogTitle>
            <AlertDialogDescription>{description}</AlertDialogDescription>
          </AlertDialogHeader>
          <FormAlert title={errorTitle} message={mutation.error ? describeError(mutation.error) : null} />
          <FormField
            id={id}
            label="Type the host name to confirm"
            hint={
              <>
                Type <span className="select-all font-medium font-mono text-foreground">{hostName}</span>
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
            <Button type="submit" variant="destructive" disabled={!confirmed || mutation.isPending}>
              {mutation.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
              {confirmLabel}
            </Button>
          </AlertDialogFooter>
        </form>
      </AlertDialogContent>
    </AlertDialog>
  );
}
