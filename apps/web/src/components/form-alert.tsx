import { Alert, AlertDescription, AlertTitle } from "@restic-manager/ui/alert";
import { CircleAlertIcon } from "lucide-react";

/** A server refusal shown inside the form that caused it, where the operator is looking. */
export function FormAlert({ title, message }: { title: string; message: string | null | undefined }) {
  if (!message) return null;
  return (
    <Alert variant="destructive">
      <CircleAlertIcon aria-hidden="true" />
      <AlertTitle>{title}</AlertTitle>
      <AlertDescription>{message}</AlertDescription>
    </Alert>
  );
}
