import { Alert, AlertDescription, AlertTitle } from "@restic-manager/ui/alert";
import { Badge } from "@restic-manager/ui/badge";
import { Button } from "@restic-manager/ui/button";
import { Card } from "@restic-manager/ui/card";
import { cn } from "@restic-manager/ui/cn";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "@restic-manager/ui/tabs";
import { useQuery } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { CircleSlashIcon, SearchXIcon, TriangleAlertIcon } from "lucide-react";
import { lazy, Suspense } from "react";
import { BackLink } from "../../components/back-link";
import { AbsoluteTime, LiveRelativeTime } from "../../components/date-cell";
import { Meta, MetaList } from "../../components/meta-list";
import { ErrorState, PendingScreen, StatusPanel } from "../../components/status-screens";
import { TableSkeleton } from "../../components/table-skeleton";
import { useDocumentTitle } from "../../lib/document-title";
import { describeError, errorCode, isClientError } from "../../lib/errors";
import { useTRPC } from "../../lib/trpc";
import { hasRole, useCurrentUser } from "../auth/current-user";
import { HostJobsTab } from "./host-jobs-tab";
import { ResticVersion, StatusBadge } from "./host-status";
import { RunNowButton } from "./run-now";
import { SnapshotsTab } from "./snapshots-tab";
import { displayStatus, platformOf } from "./status";
import { HOST_TABS, type HostTab } from "./tabs";
import { type Host, LIVE_REFRESH_MS } from "./types";
import { VitalsStrip } from "./vitals";

export function HostPage({ hostId, tab, edit }: { hostId: string; tab: HostTab; edit?: string | undefined }) {
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
        <VitalsStrip host={host.data} />
        <HostTabs
          host={host.data}
          tab={tab}
          edit={edit}
          canEditRepository={hasRole(user.role, "operator") && !revoked}
        />
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

// Sources, Schedules, Repo and Settings carry the forms (and zod): their code loads when the
// operator heads there.
const loadSources = () => import("./sources/sources-tab");
const loadSchedules = () => import("./schedules/schedules-tab");
const loadRepo = () => import("./repo/repo-tab");
const loadSettings = () => import("./settings-tab");
const SourcesTab = lazy(() => loadSources().then((module) => ({ default: module.SourcesTab })));
const SchedulesTab = lazy(() => loadSchedules().then((module) => ({ default: module.SchedulesTab })));
const RepoTab = lazy(() => loadRepo().then((module) => ({ default: module.RepoTab })));
const SettingsTab = lazy(() => loadSettings().then((module) => ({ default: module.SettingsTab })));
const PRELOAD: Partial<Record<HostTab, () => void>> = {
  sources: () => void loadSources(),
  schedules: () => void loadSchedules(),
  repo: () => void loadRepo(),
  settings: () => void loadSettings(),
};

function TabLoading() {
  return (
    <Card className="py-0">
      <TableSkeleton rows={3} />
    </Card>
  );
}

const TAB_LABELS: Record<HostTab, string> = {
  snapshots: "Snapshots",
  jobs: "Jobs",
  sources: "Sources",
  schedules: "Schedules",
  repo: "Repo",
  settings: "Settings",
};

function HostTabs({
  host,
  tab,
  edit,
  canEditRepository,
}: {
  host: Host;
  tab: HostTab;
  edit: string | undefined;
  canEditRepository: boolean;
}) {
  const navigate = useNavigate();
  return (
    <Tabs
      value={tab}
      onValueChange={(next) =>
        void navigate({
          to: "/hosts/$hostId",
          params: { hostId: host.id },
          search: next === HOST_TABS[0] ? {} : { tab: next as HostTab },
          replace: true,
          resetScroll: false,
        })
      }
    >
      <TabsList aria-label="Host sections">
        {HOST_TABS.map((value) => (
          <TabsTrigger key={value} value={value} onPointerEnter={PRELOAD[value]} onFocus={PRELOAD[value]}>
            {TAB_LABELS[value]}
          </TabsTrigger>
        ))}
      </TabsList>
      <TabsContent value="snapshots">
        <SnapshotsTab host={host} />
      </TabsContent>
      <TabsContent value="jobs">
        <HostJobsTab host={host} />
      </TabsContent>
      <TabsContent value="sources">
        <Suspense fallback={<TabLoading />}>
          <SourcesTab host={host} edit={edit} />
        </Suspense>
      </TabsContent>
      <TabsContent value="schedules">
        <Suspense fallback={<TabLoading />}>
          <SchedulesTab host={host} edit={edit} />
        </Suspense>
      </TabsContent>
      <TabsContent value="repo">
        <Suspense fallback={<TabLoading />}>
          <RepoTab host={host} canEdit={canEditRepository} />
        </Suspense>
      </TabsContent>
      <TabsContent value="settings">
        <Suspense fallback={<TabLoading />}>
          <SettingsTab host={host} />
        </Suspense>
      </TabsContent>
    </Tabs>
  );
}

function HostHeader({ host }: { host: Host }) {
  useDocumentTitle(host.name);
  const user = useCurrentUser();
  const platform = platformOf(host);
  const status = displayStatus(host);
  return (
    <div className="mb-6">
      <div className="flex flex-col gap-4 sm:flex-row sm:items-start sm:justify-between">
        <div className="flex min-w-0 flex-wrap items-center gap-x-3 gap-y-2">
          <h1 className="min-w-0 break-all font-mono font-semibold text-2xl tracking-tight">{host.name}</h1>
          <StatusBadge status={status} />
          {host.tags.map((tag) => (
            <Badge key={tag} variant="outline" className="font-normal">
              {tag}
            </Badge>
          ))}
        </div>
        {hasRole(user.role, "operator") && status !== "revoked" && (
          <div className="shrink-0">
            <RunNowButton hostId={host.id} hostName={host.name} size="default" variant="default" />
          </div>
        )}
      </div>
      <MetaList>
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
        <Meta label="Schedules">
          <ScheduleSync host={host} />
        </Meta>
      </MetaList>
    </div>
  );
}

/**
 * "version N · agent in sync" or "agent at vM": whether the agent armed the console's latest
 * schedule set. The host query polls, and schedule edits refresh it, so it follows within seconds.
 */
function ScheduleSync({ host }: { host: Host }) {
  const inSync = host.scheduleAckedVersion === host.scheduleVersion;
  return (
    <span className="inline-flex flex-wrap items-center gap-x-1.5" data-testid="schedule-sync">
      <span
        aria-hidden="true"
        className={cn(
          "size-1.5 rounded-full",
          host.scheduleAckError ? "bg-destructive" : inSync ? "bg-success" : "bg-warning",
        )}
      />
      <span>
        <span className="tabular-nums">version {host.scheduleVersion}</span> ·{" "}
        {inSync ? (
          "agent in sync"
        ) : (
          <span className="text-warning" title="The agent has not yet confirmed the latest schedule set.">
            {host.scheduleAckedVersion === null ? "agent has none yet" : `agent at v${host.scheduleAckedVersion}`}
          </span>
        )}
      </span>
      {host.scheduleAckError && (
        <span className="break-all text-destructive" title="The agent could not arm the schedule set">
          ({host.scheduleAckError})
        </span>
      )}
    </span>
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
