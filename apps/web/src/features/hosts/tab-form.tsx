import { Button } from "@restic-manager/ui/button";
import { CardFooter } from "@restic-manager/ui/card";
import { Link } from "@tanstack/react-router";
import { ArrowLeftIcon, LoaderCircleIcon } from "lucide-react";
import type * as React from "react";
import { useId } from "react";
import { FormAlert } from "../../components/form-alert";
import type { HostTab } from "./tabs";

/** The top of a form shown inside a host tab (a group's or a schedule's edit page): the way back, the title. */
export function TabFormHeader({
  hostId,
  tab,
  back,
  title,
  description,
}: {
  hostId: string;
  tab: HostTab;
  back: string;
  title: React.ReactNode;
  description: React.ReactNode;
}) {
  return (
    <div className="mb-4">
      <Link
        to="/hosts/$hostId"
        params={{ hostId }}
        search={{ tab }}
        className="-ml-1 mb-2 inline-flex items-center gap-1 rounded-md px-1 text-muted-foreground text-sm outline-none transition-colors hover:text-foreground focus-visible:ring-[3px] focus-visible:ring-ring/50 [&_svg]:size-3.5"
      >
        <ArrowLeftIcon aria-hidden="true" />
        {back}
      </Link>
      <h2 className="font-semibold text-lg tracking-tight">{title}</h2>
      <p className="mt-0.5 max-w-2xl text-muted-foreground text-sm">{description}</p>
    </div>
  );
}

/** A titled part of a long form, with a line saying what it is for. */
export function FormSection({
  title,
  hint,
  children,
}: {
  title: string;
  hint?: React.ReactNode;
  children: React.ReactNode;
}) {
  const id = useId();
  return (
    <fieldset aria-labelledby={id} className="grid min-w-0 gap-4 border-t px-6 pt-5 first:border-t-0 first:pt-0">
      <div className="grid gap-0.5">
        <h3 id={id} className="font-medium text-sm">
          {title}
        </h3>
        {hint && <p className="text-muted-foreground text-xs leading-relaxed">{hint}</p>}
      </div>
      {children}
    </fieldset>
  );
}

/** The end of such a form: the server's refusal (if any), Cancel back to the tab, and submit. */
export function TabFormFooter({
  hostId,
  tab,
  errorTitle,
  error,
  pending,
  submitLabel,
}: {
  hostId: string;
  tab: HostTab;
  errorTitle: string;
  error: string | null;
  pending: boolean;
  submitLabel: string;
}) {
  return (
    <>
      <div className="px-6 empty:hidden">
        <FormAlert title={errorTitle} message={error} />
      </div>
      <CardFooter className="justify-end gap-2 border-t pt-5">
        <Button asChild variant="outline">
          <Link to="/hosts/$hostId" params={{ hostId }} search={{ tab }}>
            Cancel
          </Link>
        </Button>
        <Button type="submit" disabled={pending}>
          {pending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
          {submitLabel}
        </Button>
      </CardFooter>
    </>
  );
}
