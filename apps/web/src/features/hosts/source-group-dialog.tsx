import { ZSourceGroupFields } from "@restic-manager/api/schemas";
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
import { Textarea } from "@restic-manager/ui/textarea";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { LoaderCircleIcon, PencilIcon, PlusIcon } from "lucide-react";
import type * as React from "react";
import { useState } from "react";
import { toast } from "sonner";
import { FormAlert } from "../../components/form-alert";
import { FormField } from "../../components/form-field";
import { describeError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { type FieldErrors, fieldErrorsOf, formValues } from "../../lib/validation";
import type { SourceGroup } from "./types";

/** One entry per line; blank lines and surrounding spaces do not count. */
export function linesOf(text: string | undefined): string[] {
  return (text ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

/** Create a source group, or edit one when `group` is given. The server's refusals show inline. */
export function SourceGroupDialog({ hostId, group }: { hostId: string; group?: SourceGroup }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const onSaved = async (name: string) => {
    await queryClient.invalidateQueries({ queryKey: trpc.sources.list.queryKey({ hostId }) });
    setOpen(false);
    toast.success(group ? `Saved the source group ${name}.` : `Created the source group ${name}.`);
  };
  const create = useMutation(trpc.sources.create.mutationOptions({ onSuccess: (saved) => onSaved(saved.name) }));
  const update = useMutation(trpc.sources.update.mutationOptions({ onSuccess: (saved) => onSaved(saved.name) }));
  const save = group ? update : create;

  const onOpenChange = (next: boolean) => {
    setOpen(next);
    if (next) {
      setErrors({});
      create.reset();
      update.reset();
    }
  };

  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const values = formValues(event.currentTarget);
    const parsed = ZSourceGroupFields.safeParse({
      name: values.name ?? "",
      includePaths: linesOf(values.includePaths),
      excludePatterns: linesOf(values.excludePatterns),
    });
    setErrors(fieldErrorsOf(parsed));
    if (!parsed.success) return;
    if (group) update.mutate({ groupId: group.id, ...parsed.data });
    else create.mutate({ hostId, ...parsed.data });
  };

  const idPrefix = group ? `source-${group.id}` : "source-new";
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        {group ? (
          <Button variant="ghost" size="sm" aria-label={`Edit ${group.name}`}>
            <PencilIcon aria-hidden="true" />
            Edit
          </Button>
        ) : (
          <Button size="sm">
            <PlusIcon aria-hidden="true" />
            Add source group
          </Button>
        )}
      </DialogTrigger>
      <DialogContent className="sm:max-w-xl">
        <form className="grid gap-5" onSubmit={onSubmit} noValidate>
          <DialogHeader>
            <DialogTitle>{group ? `Edit ${group.name}` : "New source group"}</DialogTitle>
            <DialogDescription>
              What restic backs up together. Each backup of the group is one snapshot, tagged with its name.
            </DialogDescription>
          </DialogHeader>
          <FormAlert
            title={group ? "Could not save the source group" : "Could not create the source group"}
            message={save.error ? describeError(save.error) : null}
          />
          <FormField
            id={`${idPrefix}-name`}
            label="Name"
            error={errors.name}
            hint="Letters, digits, dot, underscore or hyphen, e.g. etc or databases."
          >
            {(aria) => (
              <Input
                {...aria}
                name="name"
                defaultValue={group?.name ?? ""}
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                maxLength={64}
                className="font-mono"
                autoFocus={!group}
              />
            )}
          </FormField>
          <FormField
            id={`${idPrefix}-paths`}
            label="Paths"
            error={errors.includePaths}
            hint="One absolute path per line, e.g. /etc or C:\Users. Directories are backed up with everything under them."
          >
            {(aria) => (
              <Textarea
                {...aria}
                name="includePaths"
                defaultValue={group?.includePaths.join("\n") ?? ""}
                placeholder={"/etc\n/home\n/var/lib/postgresql"}
                rows={4}
                spellCheck={false}
                autoCapitalize="none"
                className="max-h-64 min-h-24 font-mono"
              />
            )}
          </FormField>
          <FormField
            id={`${idPrefix}-excludes`}
            label="Exclude patterns"
            error={errors.excludePatterns}
            hint="Optional. One restic --exclude pattern per line, e.g. *.tmp or /home/*/.cache."
          >
            {(aria) => (
              <Textarea
                {...aria}
                name="excludePatterns"
                defaultValue={group?.excludePatterns.join("\n") ?? ""}
                placeholder={"*.tmp\n/home/*/.cache"}
                rows={3}
                spellCheck={false}
                autoCapitalize="none"
                className="max-h-48 min-h-20 font-mono"
              />
            )}
          </FormField>
          <DialogFooter>
            <Button variant="outline" onClick={() => onOpenChange(false)}>
              Cancel
            </Button>
            <Button type="submit" disabled={save.isPending}>
              {save.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
              {group ? "Save changes" : "Create group"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
