import { Input } from "@restic-manager/ui/input";
import type * as React from "react";
import { FormField } from "../../components/form-field";
import type { FieldErrors } from "../../lib/validation";

/**
 * A restic repository's connection: URL, optional username, password. The Add host form and the
 * Repo tab's connection form share it; `repoUrl`, `repoUsername`, `repoPassword` are the names.
 */
export function RepositoryFields({
  idPrefix,
  errors,
  defaults,
  passwordHint,
  autoFocus = false,
}: {
  idPrefix: string;
  errors: FieldErrors;
  defaults?: { url: string; username: string | null } | null | undefined;
  passwordHint: React.ReactNode;
  autoFocus?: boolean;
}) {
  return (
    <>
      <FormField
        id={`${idPrefix}-repo`}
        label="Repository"
        error={errors.repoUrl}
        hint={
          <>
            Any restic repository: a path on the host, <code className="font-mono">sftp:</code>,{" "}
            <code className="font-mono">rest:</code>, <code className="font-mono">s3:</code>… The agent hands it to
            restic as <code className="font-mono">RESTIC_REPOSITORY</code>.
          </>
        }
      >
        {(aria) => (
          <Input
            {...aria}
            name="repoUrl"
            defaultValue={defaults?.url ?? ""}
            placeholder="/srv/restic/web-01 or sftp:backup@nas:/restic/web-01"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            maxLength={2048}
            autoFocus={autoFocus}
            className="font-mono"
          />
        )}
      </FormField>
      <div className="grid items-start gap-5 sm:grid-cols-2">
        <FormField
          id={`${idPrefix}-repo-username`}
          label="Repository username"
          error={errors.repoUsername}
          hint="Optional. Only for back ends that take one."
        >
          {(aria) => (
            <Input
              {...aria}
              name="repoUsername"
              defaultValue={defaults?.username ?? ""}
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              maxLength={255}
            />
          )}
        </FormField>
        <FormField
          id={`${idPrefix}-repo-password`}
          label="Repository password"
          error={errors.repoPassword}
          hint={passwordHint}
        >
          {(aria) => <Input {...aria} name="repoPassword" type="password" autoComplete="new-password" />}
        </FormField>
      </div>
    </>
  );
}
