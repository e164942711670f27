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
import { LoaderCircleIcon } from "lucide-react";
import type * as React from "react";
import { useState } from "react";
import { describeError } from "../lib/errors";
import { FormAlert } from "./form-alert";

/** The part of a TanStack mutation the dialog follows. */
export interface MutationState {
  isPending: boolean;
  error: unknown;
  reset: () => void;
}

/**
 * "Are you sure?" before an action: the trigger opens it, the confirm button runs `onConfirm`
 * with a function that closes the dialog (and the dialog's form, for fields passed as
 * children). It stays open until the server agrees, and shows the server's refusal inside,
 * where the operator is looking.
 */
export function ConfirmActionDialog({
  trigger,
  title,
  description,
  confirmLabel,
  errorTitle,
  mutation,
  onConfirm,
  variant = "destructive",
  cancelLabel = "Cancel",
  children,
}: {
  trigger: React.ReactNode;
  title: React.ReactNode;
  description: React.ReactNode;
  confirmLabel: string;
  errorTitle: string;
  mutation: MutationState;
  onConfirm: (close: () => void, form: HTMLFormElement) => void;
  variant?: "destructive" | "default";
  cancelLabel?: string;
  /** Extra content between the description and the buttons (fields are read from `form`). */
  children?: React.ReactNode;
}) {
  const [open, setOpen] = useState(false);
  const onOpenChange = (next: boolean) => {
    setOpen(next);
    if (!next) mutation.reset();
  };
  return (
    <AlertDialog open={open} onOpenChange={onOpenChange}>
      <AlertDialogTrigger asChild>{trigger}</AlertDialogTrigger>
      <AlertDialogContent>
        {/* `contents`: the form adds Enter-to-confirm for fields, not a box to the layout. */}
        <form
          className="contents"
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            onConfirm(() => onOpenChange(false), event.currentTarget);
          }}
        >
          <AlertDialogHeader>
            <AlertDialogTitle>{title}</AlertDialogTitle>
            <AlertDialogDescription>{description}</AlertDialogDescription>
          </AlertDialogHeader>
          {children}
          <FormAlert title={errorTitle} message={mutation.error ? describeError(mutation.error) : null} />
          <AlertDialogFooter>
            <AlertDialogCancel>{cancelLabel}</AlertDialogCancel>
            {/* A submit button, not AlertDialogAction: the dialog stays open until the server agrees. */}
            <Button type="submit" variant={variant} disabled={mutation.isPending}>
              {mutation.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
              {confirmLabel}
            </Button>
          </AlertDialogFooter>
        </form>
      </AlertDialogContent>
    </AlertDialog>
  );
}
