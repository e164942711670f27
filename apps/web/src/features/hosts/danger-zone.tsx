import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@restic-manager/ui/card";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import type * as React from "react";
import { toast } from "sonner";
import { useTRPC } from "../../lib/trpc";
import { hasRole, useCurrentUser } from "../auth/current-user";
import { TypedConfirmButton } from "./typed-confirm";
import type { Host } from "./types";

/**
 * Actions that cannot be undone, each behind the typed host name. The Repo tab's zone
 * re-initialises the repository (operators); the Settings tab's revokes the agent and deletes
 * the host (admins).
 */
export function DangerZone({ host, scope }: { host: Host; scope: "repository" | "host" }) {
  const user = useCurrentUser();
  const revoked = host.status === "revoked";
  const canReinit = scope === "repository" && hasRole(user.role, "operator") && !revoked;
  const isAdmin = scope === "host" && user.role === "admin";
  if (!canReinit && !isAdmin) return null;

  return (
    <Card className="mt-6 gap-4 border-destructive/30" data-testid="danger-zone">
      <CardHeader>
        <CardTitle className="text-destructive">Danger zone</CardTitle>
        <CardDescription>Actions that cannot be undone. Each asks for the host name.</CardDescription>
      </CardHeader>
      <CardContent className="grid divide-y">
        {canReinit && (
          <DangerRow
            title="Re-initialise repository"
            text="Runs restic init against the repository again, for instance after it was moved or wiped. An existing repository is left as it is."
          >
            <ReinitButton host={host} />
          </DangerRow>
        )}
        {isAdmin && !revoked && (
          <DangerRow
            title="Revoke agent"
            text="Disconnects the agent at once and its credentials stop working for good. The host and its history stay; to back it up again, enrol it anew."
          >
            <RevokeButton host={host} />
          </DangerRow>
        )}
        {isAdmin && (
          <DangerRow
            title="Delete host"
            text="Removes the host with its source groups, jobs, logs and snapshot list from this console, and revokes its agent. The restic repository and its snapshots are not touched."
          >
            <DeleteButton host={host} />
          </DangerRow>
        )}
      </CardContent>
    </Card>
  );
}

function DangerRow({ title, text, children }: { title: string; text: string; children: React.ReactNode }) {
  return (
    <div className="flex flex-col gap-3 py-4 first:pt-0 last:pb-0 sm:flex-row sm:items-center sm:justify-between sm:gap-6">
      <div className="text-sm">
        <p className="font-medium">{title}</p>
        <p className="mt-0.5 max-w-xl text-muted-foreground">{text}</p>
      </div>
      {children}
    </div>
  );
}

function HostName({ name }: { name: string }) {
  return <span className="break-all font-mono">{name}</span>;
}

function ReinitButton({ host }: { host: Host }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const reinit = useMutation(
    trpc.hosts.reinit.mutationOptions({
      onSuccess: ({ jobId }) => {
        void queryClient.invalidateQueries({ queryKey: trpc.hosts.initStatus.queryKey({ hostId: host.id }) });
        void navigate({ to: "/jobs/$jobId", params: { jobId } });
      },
    }),
  );
  return (
    <TypedConfirmButton
      id="reinit-confirm"
      hostName={host.name}
      variant="outline"
      triggerLabel="Re-initialise repository"
      title={
        <>
          Re-initialise the repository of <HostName name={host.name} />?
        </>
      }
      description="The agent runs restic init now; you follow it on the job page. An existing repository counts as success and keeps its snapshots."
      confirmLabel="Re-initialise"
      errorTitle="Could not start the init"
      mutation={reinit}
      onConfirm={() => reinit.mutate({ hostId: host.id, confirmName: host.name })}
    />
  );
}

function RevokeButton({ host }: { host: Host }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revoke = useMutation(trpc.hosts.revoke.mutationOptions());
  return (
    <TypedConfirmButton
      id="revoke-confirm"
      hostName={host.name}
      triggerLabel="Revoke agent"
      title={
        <>
          Revoke the agent of <HostName name={host.name} />?
        </>
      }
      description="Its connection closes within seconds and its credentials stop working. This cannot be undone; the host keeps its history."
      confirmLabel="Revoke"
      errorTitle="Could not revoke the agent"
      mutation={revoke}
      onConfirm={(close) =>
        revoke.mutate(
          { hostId: host.id },
          {
            onSuccess: async () => {
              await Promise.all([
                queryClient.invalidateQueries({ queryKey: trpc.hosts.get.queryKey({ hostId: host.id }) }),
                // Every page, search and filter of the host list (the dashboard's too).
                queryClient.invalidateQueries({ queryKey: trpc.hosts.list.pathKey() }),
              ]);
              close();
              toast.success(`Revoked the agent of ${host.name}.`);
            },
          },
        )
      }
    />
  );
}

function DeleteButton({ host }: { host: Host }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const remove = useMutation(
    trpc.hosts.remove.mutationOptions({
      onSuccess: async () => {
        await navigate({ to: "/hosts" });
        queryClient.removeQueries({ queryKey: trpc.hosts.get.queryKey({ hostId: host.id }) });
        void queryClient.invalidateQueries({ queryKey: trpc.hosts.pathKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.jobs.pathKey() });
        toast.success(`Deleted ${host.name}. Its repository was not touched.`);
      },
    }),
  );
  return (
    <TypedConfirmButton
      id="delete-host-confirm"
      hostName={host.name}
      triggerLabel="Delete host"
      title={
        <>
          Delete <HostName name={host.name} />?
        </>
      }
      description="The host, its source groups, jobs, logs and snapshot list leave this console, and its agent is revoked. The restic repository is not touched. This cannot be undone."
      confirmLabel="Delete host"
      errorTitle="Could not delete the host"
      mutation={remove}
      onConfirm={() => remove.mutate({ hostId: host.id, confirmName: host.name })}
    />
  );
}
