import { Alert, AlertDescription, AlertTitle } from "@restic-manager/ui/alert";
import { Button } from "@restic-manager/ui/button";
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { CircleSlashIcon, SearchXIcon, TriangleAlertIcon } from "lucide-react";
import type * as React from "react";
import { BackLink } from "../../components/back-link";
import { AbsoluteTime, LiveRelativeTime } from "../../components/date-cell";
import { ErrorState, PendingScreen, StatusPanel } from "../../components/status-screens";
import { useDocumentTitle } from "../../lib/document-title";
import { describeError, errorCode, isClientError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { hasRole, useCurrentUser } from "../auth/current-user";
import { AgentCard } from "./agent-card";
import { ResticVersion, StatusBadge } from "./host-status";
import { RepositoryCard } from "./repository-card";
import { RevokeHostCard } from "./revoke-host";
import { displayStatus, platformOf } from "./status";
import { type Host, LIVE_REFRESH_MS } from "./types";

export function HostPage({ hostId }: { hostId: string }) {
  const user = useCurrentUser();
  const trpc = useTRPC();
  const host = useQuery({
    ...trpc.hosts.get.queryOptions({ hostId }),
    // Follow the host live; stop once the server says it is gone.
    refetchInterval: (query) => (isClientError(query.state.error) ? false : LIVE_REFRESH_MS),
  });

  const code = errorCode(host.error);
  if (code === "NOT_FOUND" || code === "BAD_REQUEST") return <HostNotFound />;
  if (host.data) {
    const revoked = host.data.status === "revoked";
    return (
      <>
        <BackLink to="/hosts">All hosts</BackLink>
        <HostHeader host={host.data} />
        <div className="mb-6 grid gap-4 empty:hidden">
          {revoked && <RevokedBanner host={host.data} />}
          {!revoked && host.data.resticError && <ResticBanner error={host.data.resticError} />}
        </div>
        <div className="grid gap-6 lg:grid-cols-2">
          <RepositoryCard host={host.data} canEdit={hasRole(user.role, "operator") && !revoked} />
          <AgentCard host={host.data} />
        </div>
        {user.role === "admin" && !revoked && <RevokeHostCard host={host.data} />}
      </>
    );
  }
  if (host.isError) {
    return (
      <ErrorState
        title="Could not load the host"
        message={describeError(host.error)}
        onRetry={() => void host.refetch()}
      />
    );
  }
  return <PendingScreen />;
}

function HostHeader({ host }: { host: Host }) {
  useDocumentTitle(host.name);
  const platform = platformOf(host);
  return (
    <div className="mb-6">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <h1 className="min-w-0 break-all font-mono font-semibold text-2xl tracking-tight">{host.name}</h1>
        <StatusBadge status={displayStatus(host)} />
      </div>
      <dl className="mt-4 flex flex-wrap gap-x-8 gap-y-3 text-sm">
        <Meta label="Reported hostname">
          {host.reportedHostname ? <span className="break-all font-mono">{host.reportedHostname}</span> : null}
        </Meta>
        <Meta label="OS / arch">{platform}</Meta>
        <Meta label="Agent">{host.agentVersion ? <span className="font-mono">{host.agentVersion}</span> : null}</Meta>
        <Meta label="restic">
          {host.resticVersion || host.resticError ? (
            <ResticVersion version={host.resticVersion} error={host.resticError} />
          ) : null}
        </Meta>
        <Meta label="Last seen">
          <LiveRelativeTime value={host.lastSeenAt} never="Never" />
        </Meta>
      </dl>
    </div>
  );
}

function Meta({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid gap-0.5">
      <dt className="text-muted-foreground text-xs">{label}</dt>
      <dd className="[&_.font-mono]:text-[13px]">{children ?? <span className="text-muted-foreground">—</span>}</dd>
    </div>
  );
}

function RevokedBanner({ host }: { host: Host }) {
  return (
    <Alert variant="destructive">
      <CircleSlashIcon aria-hidden="true" />
      <AlertTitle>This agent is revoked</AlertTitle>
      <AlertDescription>
        <p>
          Revoked <AbsoluteTime value={host.revokedAt} />. Its credentials no longer work and it cannot connect; the
          host's history stays. To back this machine up again, enrol it anew from Add host.
        </p>
      </AlertDescription>
    </Alert>
  );
}

function ResticBanner({ error }: { error: string }) {
  return (
    <Alert variant="warning">
      <TriangleAlertIcon aria-hidden="true" />
      <AlertTitle>restic cannot run on this host</AlertTitle>
      <AlertDescription>
        <p className="break-words font-mono text-xs">{error}</p>
        <p>Backups fail until this is fixed. The agent checks again each time it connects: restart it after the fix.</p>
      </AlertDescription>
    </Alert>
  );
}

function HostNotFound() {
  return (
    <StatusPanel
      icon={<SearchXIcon />}
      title="Host not found"
      actions={
        <Button asChild>
          <Link to="/hosts">Back to hosts</Link>
        </Button>
      }
    >
      <p>There is no host at this address. It may have been deleted, or the link may be mistyped.</p>
    </StatusPanel>
  );
}
