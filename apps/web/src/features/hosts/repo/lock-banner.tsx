import { Alert, AlertDescription, AlertTitle } from "@restic-manager/ui/alert";
import { Button } from "@restic-manager/ui/button";
import { LoaderCircleIcon, LockIcon } from "lucide-react";
import { RelativeTime } from "../../../components/date-cell";
import type { Host } from "../types";
import type { Overview } from "./overview";
import { useRunUnlock } from "./run-now-card";

/** A restic lock the agent ran into: what it said, and Unlock for operators. */
export function LockBanner({
  host,
  lock,
  canRun,
}: {
  host: Host;
  lock: NonNullable<Overview["lock"]>;
  canRun: boolean;
}) {
  const unlock = useRunUnlock();
  return (
    <Alert variant="warning" data-testid="stale-lock">
      <LockIcon aria-hidden="true" />
      <AlertTitle>The repository looks locked</AlertTitle>
      <AlertDescription>
        <p className="break-words font-mono text-xs">{lock.error}</p>
        <p>
          Seen <RelativeTime value={lock.at} />. A restic process that died leaves a stale lock that blocks backups and
          maintenance. Unlock removes stale locks only; a lock of a restic still running elsewhere stays.
        </p>
        {canRun && (
          <Button
            size="sm"
            variant="outline"
            className="mt-1"
            disabled={unlock.isPending}
            onClick={() => unlock.mutate({ hostId: host.id })}
          >
            {unlock.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
            Unlock
          </Button>
        )}
      </AlertDescription>
    </Alert>
  );
}
