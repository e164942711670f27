/**
 * The host's Repo tab, in cards: connection and prune credential (repository-card.tsx),
 * maintenance cadences, bandwidth caps, size and health, Run now, snapshots by tag, a stale-lock
 * banner and the re-initialise danger zone. The overview they read is kept live (overview.ts).
 */
import { Card } from "@restic-manager/ui/card";
import { Skeleton } from "@restic-manager/ui/skeleton";
import { ErrorState } from "../../../components/status-screens";
import { describeError } from "../../../lib/errors";
import { hasRole, useCurrentUser } from "../../auth/current-user";
import { DangerZone } from "../danger-zone";
import type { Host } from "../types";
import { BandwidthCard } from "./bandwidth-card";
import { LockBanner } from "./lock-banner";
import { MaintenanceCard } from "./maintenance-card";
import { useLiveOverview } from "./overview";
import { PruneCredentialCard, RepositoryCard } from "./repository-card";
import { RunNowCard } from "./run-now-card";
import { SnapshotsByTag } from "./snapshots-by-tag";
import { StatsCard } from "./stats-card";

/** The repository: connection, credentials, caps, maintenance, and what is in it. */
export function RepoTab({ host, canEdit }: { host: Host; canEdit: boolean }) {
  const user = useCurrentUser();
  const overview = useLiveOverview(host.id);
  const canRun = hasRole(user.role, "operator") && host.status !== "revoked";

  return (
    <div className="grid gap-6">
      {overview.data?.lock && <LockBanner host={host} lock={overview.data.lock} canRun={canRun} />}
      <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,1fr)_22rem]">
        <div className="grid gap-6">
          <RepositoryCard host={host} canEdit={canEdit} />
          {user.role === "admin" && host.status !== "revoked" && <PruneCredentialCard host={host} />}
          {overview.isError ? (
            <Card className="py-0">
              <ErrorState
                title="Could not load the repository settings"
                message={describeError(overview.error)}
                onRetry={() => void overview.refetch()}
              />
            </Card>
          ) : overview.data ? (
            <>
              <MaintenanceCard host={host} overview={overview.data} canEdit={canEdit} />
              <BandwidthCard host={host} overview={overview.data} canEdit={canEdit} />
            </>
          ) : (
            <Skeleton className="h-64 rounded-xl" />
          )}
        </div>
        <div className="grid gap-6">
          {overview.data ? (
            <>
              <StatsCard host={host} overview={overview.data} />
              {canRun && <RunNowCard host={host} overview={overview.data} />}
              <SnapshotsByTag overview={overview.data} />
            </>
          ) : (
            !overview.isError && <Skeleton className="h-80 rounded-xl" />
          )}
        </div>
      </div>
      <DangerZone host={host} scope="repository" />
    </div>
  );
}
