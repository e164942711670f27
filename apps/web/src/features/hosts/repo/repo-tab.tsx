import { Alert, AlertDescription, AlertTitle } from "@restic-manager/ui/alert";
import { Badge } from "@restic-manager/ui/badge";
import { Button } from "@restic-manager/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@restic-manager/ui/card";
import { Input } from "@restic-manager/ui/input";
import { Label } from "@restic-manager/ui/label";
import { Skeleton } from "@restic-manager/ui/skeleton";
import { Switch } from "@restic-manager/ui/switch";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import type { inferOutput } from "@trpc/tanstack-react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { ChartPieIcon, GaugeIcon, LoaderCircleIcon, LockIcon, PlayIcon, TagsIcon, WrenchIcon } from "lucide-react";
import type * as React from "react";
import { useState } from "react";
import { toast } from "sonner";
import { ConfirmActionDialog } from "../../../components/confirm-action-dialog";
import { RelativeTime } from "../../../components/date-cell";
import { FormAlert } from "../../../components/form-alert";
import { FormField } from "../../../components/form-field";
import { ErrorState } from "../../../components/status-screens";
import { describeError } from "../../../lib/errors";
import { formatBytes, formatCount, formatInZone } from "../../../lib/format";
import { type Trpc, useTRPC } from "../../../lib/trpc";
import { type FieldErrors, formValues, optionalNumber, serverFieldError } from "../../../lib/validation";
import { hasRole, useCurrentUser } from "../../auth/current-user";
import { JobStatusBadge } from "../../jobs/job-status";
import { useOpenJobs } from "../../jobs/use-open-jobs";
import { DangerZone } from "../danger-zone";
import { CronField } from "../schedules/cron-field";
import type { Host } from "../types";
import { PruneCredentialCard, RepositoryCard } from "./repository-card";

type Overview = inferOutput<Trpc["repo"]["overview"]>;
type LastJob = Overview["lastCheck"];

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

/** repo.overview, kept current by repo.watch (re-sent after backups, checks, prunes, snapshot reports). */
function useLiveOverview(hostId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const subscription = useSubscription(
    trpc.repo.watch.subscriptionOptions(
      { hostId },
      { onData: (data) => queryClient.setQueryData(trpc.repo.overview.queryKey({ hostId }), data) },
    ),
  );
  const streamDown = subscription.status === "error" || subscription.error !== null;
  return useQuery({ ...trpc.repo.overview.queryOptions({ hostId }), refetchInterval: streamDown ? 10_000 : false });
}

function LockBanner({ host, lock, canRun }: { host: Host; lock: NonNullable<Overview["lock"]>; canRun: boolean }) {
  const trpc = useTRPC();
  const openJobs = useOpenJobs();
  const unlock = useMutation(
    trpc.repo.runUnlock.mutationOptions({
      onSuccess: ({ jobId }) => openJobs([jobId], "unlock jobs"),
      onError: (error) => toast.error("Could not start the unlock", { description: describeError(error) }),
    }),
  );
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

const MAINTENANCE = [
  {
    key: "forgetCron",
    label: "Forget",
    hint: "Removes snapshots each source group's retention no longer keeps.",
  },
  { key: "pruneCron", label: "Prune", hint: "Frees the space forgotten snapshots used. Slow on large repositories." },
  { key: "checkCron", label: "Check", hint: "Verifies the repository, reading the share of the data set below." },
] as const;
type CronKey = (typeof MAINTENANCE)[number]["key"];

function MaintenanceCard({ host, overview, canEdit }: { host: Host; overview: Overview; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const saved = overview.maintenance;
  const [crons, setCrons] = useState<Record<CronKey, string>>({
    forgetCron: saved.forgetCron ?? "",
    pruneCron: saved.pruneCron ?? "",
    checkCron: saved.checkCron ?? "",
  });
  const [enabled, setEnabled] = useState(saved.enabled);
  const [errors, setErrors] = useState<FieldErrors>({});
  const update = useMutation(
    trpc.repo.updateMaintenance.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.repo.overview.queryKey({ hostId: host.id }) });
        toast.success("Saved the maintenance schedule.");
      },
      onError: (error) =>
        setErrors(serverFieldError(describeError(error), [...MAINTENANCE.map((m) => m.key), "checkSubsetPct"]) ?? {}),
    }),
  );
  const formError = update.error && Object.keys(errors).length === 0 ? describeError(update.error) : null;

  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const pct = optionalNumber(formValues(event.currentTarget).checkSubsetPct) ?? 0;
    if (!Number.isInteger(pct) || pct < 0 || pct > 100) {
      setErrors({ checkSubsetPct: "A whole percentage from 0 (metadata only) to 100 (all data)." });
      return;
    }
    setErrors({});
    update.mutate({
      hostId: host.id,
      enabled,
      forgetCron: crons.forgetCron.trim() || null,
      pruneCron: crons.pruneCron.trim() || null,
      checkCron: crons.checkCron.trim() || null,
      checkSubsetPct: pct,
    });
  };

  return (
    <Card className="gap-5">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <WrenchIcon className="size-4 text-muted-foreground" aria-hidden="true" />
          Maintenance
          {!saved.saved && (
            <Badge variant="secondary" className="font-normal">
              Defaults
            </Badge>
          )}
        </CardTitle>
        <CardDescription>
          The console starts forget, prune and check on these cadences while the host is online, in its time zone (
          {saved.timezone}). Empty runs it only when you press Run now.
        </CardDescription>
      </CardHeader>
      <form onSubmit={onSubmit} noValidate aria-label="Maintenance" className="grid gap-5">
        <fieldset disabled={!canEdit} className="grid gap-5 px-6">
          <div className="flex items-start gap-3">
            <Switch id="maintenance-enabled" checked={enabled} onCheckedChange={setEnabled} className="mt-0.5" />
            <div className="grid gap-0.5">
              <Label htmlFor="maintenance-enabled">Scheduled maintenance</Label>
              <p className="text-muted-foreground text-xs">Off pauses all three cadences; Run now still works.</p>
            </div>
          </div>
          {MAINTENANCE.map(({ key, label, hint }) => (
            <CronField
              key={key}
              id={`maintenance-${key}`}
              hostId={host.id}
              label={label}
              value={crons[key]}
              onChange={(value) => setCrons((current) => ({ ...current, [key]: value }))}
              error={errors[key]}
              optional="Empty: only when you press Run now."
              hint={hint}
            />
          ))}
          <FormField
            id="maintenance-subset"
            label="Check reads (% of the data)"
            error={errors.checkSubsetPct}
            hint="0 checks the structure only; 100 reads every pack file. A few percent each time covers all data over a few weeks."
          >
            {(aria) => (
              <Input
                {...aria}
                name="checkSubsetPct"
                defaultValue={String(saved.checkSubsetPct)}
                inputMode="numeric"
                autoComplete="off"
                className="max-w-24 tabular-nums"
              />
            )}
          </FormField>
          <FormAlert title="Could not save the maintenance schedule" message={formError} />
        </fieldset>
        {canEdit && (
          <CardFooter className="justify-end border-t pt-5">
            <Button type="submit" disabled={update.isPending}>
              {update.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
              Save maintenance
            </Button>
          </CardFooter>
        )}
      </form>
    </Card>
  );
}

function BandwidthCard({ host, overview, canEdit }: { host: Host; overview: Overview; canEdit: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<FieldErrors>({});
  const update = useMutation(
    trpc.repo.updateBandwidth.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.repo.overview.queryKey({ hostId: host.id }) });
        toast.success("Saved the bandwidth caps.");
      },
    }),
  );
  const onSubmit = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const values = formValues(event.currentTarget);
    const next: FieldErrors = {};
    const read = (key: "uploadKbps" | "downloadKbps") => {
      const n = optionalNumber(values[key]);
      if (n !== null && (!Number.isInteger(n) || n < 1)) next[key] = "A whole number of KB/s from 1, or empty.";
      return n;
    };
    const uploadKbps = read("uploadKbps");
    const downloadKbps = read("downloadKbps");
    setErrors(next);
    if (Object.keys(next).length === 0) update.mutate({ hostId: host.id, uploadKbps, downloadKbps });
  };
  const value = (n: number | null) => (n === null ? "" : String(n));
  return (
    <Card className="gap-5">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <GaugeIcon className="size-4 text-muted-foreground" aria-hidden="true" />
          Bandwidth caps
        </CardTitle>
        <CardDescription>
          Limits every restic run on this host (restic --limit-upload / --limit-download). Empty is no limit; a source
          group's Run now can override them for one run.
        </CardDescription>
      </CardHeader>
      <form onSubmit={onSubmit} noValidate aria-label="Bandwidth caps" className="grid gap-5">
        <fieldset disabled={!canEdit} className="grid items-start gap-5 px-6 sm:grid-cols-2">
          <FormField id="bandwidth-up" label="Upload (KB/s)" error={errors.uploadKbps}>
            {(aria) => (
              <Input
                {...aria}
                name="uploadKbps"
                defaultValue={value(overview.bandwidth.uploadKbps)}
                placeholder="No limit"
                inputMode="numeric"
                autoComplete="off"
                className="tabular-nums"
              />
            )}
          </FormField>
          <FormField id="bandwidth-down" label="Download (KB/s)" error={errors.downloadKbps}>
            {(aria) => (
              <Input
                {...aria}
                name="downloadKbps"
                defaultValue={value(overview.bandwidth.downloadKbps)}
                placeholder="No limit"
                inputMode="numeric"
                autoComplete="off"
                className="tabular-nums"
              />
            )}
          </FormField>
          <div className="empty:hidden sm:col-span-2">
            <FormAlert title="Could not save the caps" message={update.error ? describeError(update.error) : null} />
          </div>
        </fieldset>
        {canEdit && (
          <CardFooter className="justify-end border-t pt-5">
            <Button type="submit" disabled={update.isPending}>
              {update.isPending && <LoaderCircleIcon className="animate-spin" aria-hidden="true" />}
              Save caps
            </Button>
          </CardFooter>
        )}
      </form>
    </Card>
  );
}

function StatRow({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="flex items-center justify-between gap-3 py-2 text-sm">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="flex min-w-0 items-center justify-end gap-2 text-right">{children}</dd>
    </div>
  );
}

/** The last job of a kind: status (coloured) linking to the job, and when it ended. */
function LastJobCell({ job, next, timezone }: { job: LastJob; next?: number | null; timezone: string }) {
  return (
    <span className="grid justify-items-end gap-0.5">
      {job ? (
        <span className="flex items-center gap-2">
          <RelativeTime value={job.finishedAt ?? job.createdAt} />
          <Link to="/jobs/$jobId" params={{ jobId: job.id }} className="rounded-md" title={job.error ?? undefined}>
            <JobStatusBadge status={job.status} className="hover:underline" />
          </Link>
        </span>
      ) : (
        <span className="text-muted-foreground">Never</span>
      )}
      {next ? (
        <span className="text-muted-foreground text-xs tabular-nums">next {formatInZone(next, timezone)}</span>
      ) : null}
    </span>
  );
}

function StatsCard({ host, overview }: { host: Host; overview: Overview }) {
  const { stats, maintenance } = overview;
  return (
    <Card className="gap-3" data-testid="repo-stats">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <ChartPieIcon className="size-4 text-muted-foreground" aria-hidden="true" />
          Size and health
        </CardTitle>
        <CardDescription>
          {stats.statsAt ? (
            <>
              Sizes as restic reported them <RelativeTime value={stats.statsAt} />.
            </>
          ) : (
            "The agent reports sizes after each backup, check or prune."
          )}
        </CardDescription>
      </CardHeader>
      <CardContent>
        <dl className="divide-y">
          <StatRow label="Total size">
            <span className="tabular-nums">{formatBytes(stats.totalSizeBytes)}</span>
          </StatRow>
          <StatRow label="Raw size (stored)">
            <span className="tabular-nums">{formatBytes(stats.rawSizeBytes)}</span>
          </StatRow>
          <StatRow label="Snapshots">
            <span className="tabular-nums">{formatCount(stats.snapshotCount)}</span>
          </StatRow>
          <StatRow label="Last check">
            <LastJobCell job={overview.lastCheck} next={maintenance.next.check} timezone={host.timezone} />
          </StatRow>
          <StatRow label="Last prune">
            <LastJobCell job={overview.lastPrune} next={maintenance.next.prune} timezone={host.timezone} />
          </StatRow>
          <StatRow label="Last forget">
            <LastJobCell job={overview.lastForget} next={maintenance.next.forget} timezone={host.timezone} />
          </StatRow>
          {overview.lastUnlock && (
            <StatRow label="Last unlock">
              <LastJobCell job={overview.lastUnlock} timezone={host.timezone} />
            </StatRow>
          )}
        </dl>
      </CardContent>
    </Card>
  );
}

function RunNowCard({ host, overview }: { host: Host; overview: Overview }) {
  const trpc = useTRPC();
  const openJobs = useOpenJobs();
  const failed = (what: string) => (error: unknown) =>
    toast.error(`Could not start the ${what}`, { description: describeError(error) });
  const forget = useMutation(trpc.repo.runForget.mutationOptions());
  const prune = useMutation(trpc.repo.runPrune.mutationOptions());
  const check = useMutation(
    trpc.repo.runCheck.mutationOptions({
      onSuccess: ({ jobId }) => openJobs([jobId], "check jobs"),
      onError: failed("check"),
    }),
  );
  const unlock = useMutation(
    trpc.repo.runUnlock.mutationOptions({
      onSuccess: ({ jobId }) => openJobs([jobId], "unlock jobs"),
      onError: failed("unlock"),
    }),
  );
  const spinner = (pending: boolean) =>
    pending ? <LoaderCircleIcon className="animate-spin" aria-hidden="true" /> : <PlayIcon aria-hidden="true" />;

  return (
    <Card className="gap-4">
      <CardHeader>
        <CardTitle>Run now</CardTitle>
        <CardDescription>Maintenance jobs on demand; each opens its live log.</CardDescription>
      </CardHeader>
      <CardContent className="grid grid-cols-2 gap-2">
        <ConfirmActionDialog
          trigger={
            <Button variant="outline" size="sm" disabled={forget.isPending}>
              {spinner(forget.isPending)}
              Forget
            </Button>
          }
          variant="default"
          title="Run forget now?"
          description="Each source group's retention removes the snapshots it no longer keeps. Their data stays until the next prune."
          confirmLabel="Run forget"
          errorTitle="Could not start the forget"
          mutation={forget}
          onConfirm={(close) =>
            forget.mutate(
              { hostId: host.id },
              {
                onSuccess: ({ jobIds, skipped }) => {
                  close();
                  if (skipped.length) toast.info(`Skipped ${skipped.join(", ")}: no retention policy.`);
                  openJobs(jobIds, "forget jobs");
                },
              },
            )
          }
        />
        <ConfirmActionDialog
          trigger={
            <Button variant="outline" size="sm" disabled={prune.isPending}>
              {spinner(prune.isPending)}
              Prune
            </Button>
          }
          variant="default"
          title="Run prune now?"
          description="Deletes the data no snapshot references any more and repacks what is left. It locks the repository while it runs, so backups wait; on a large repository that takes a while."
          confirmLabel="Run prune"
          errorTitle="Could not start the prune"
          mutation={prune}
          onConfirm={(close) =>
            prune.mutate(
              { hostId: host.id },
              {
                onSuccess: ({ jobId }) => {
                  close();
                  openJobs([jobId], "prune jobs");
                },
              },
            )
          }
        />
        <Button
          variant="outline"
          size="sm"
          disabled={check.isPending}
          onClick={() => check.mutate({ hostId: host.id })}
          title={`Reads ${overview.maintenance.checkSubsetPct}% of the data`}
        >
          {spinner(check.isPending)}
          Check
        </Button>
        <Button
          variant="outline"
          size="sm"
          disabled={unlock.isPending}
          onClick={() => unlock.mutate({ hostId: host.id })}
        >
          {spinner(unlock.isPending)}
          Unlock
        </Button>
      </CardContent>
    </Card>
  );
}

function SnapshotsByTag({ overview }: { overview: Overview }) {
  return (
    <Card className="gap-3" data-testid="snapshots-by-tag">
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <TagsIcon className="size-4 text-muted-foreground" aria-hidden="true" />
          Snapshots by tag
        </CardTitle>
        <CardDescription>Each source group tags its snapshots with its name.</CardDescription>
      </CardHeader>
      <CardContent>
        {overview.snapshotsByTag.length === 0 ? (
          <p className="text-muted-foreground text-sm">No snapshots yet.</p>
        ) : (
          <dl className="divide-y">
            {overview.snapshotsByTag.map((row) => (
              <div key={row.tag} className="flex items-center justify-between gap-3 py-2 text-sm" data-tag={row.tag}>
                <dt className="min-w-0 truncate font-mono text-[13px]">{row.tag}</dt>
                <dd className="flex shrink-0 items-center gap-3">
                  <span className="text-muted-foreground text-xs">
                    latest <RelativeTime value={row.latestAt} />
                  </span>
                  <span className="min-w-8 text-right font-medium tabular-nums">{formatCount(row.count)}</span>
                </dd>
              </div>
            ))}
          </dl>
        )}
      </CardContent>
    </Card>
  );
}
