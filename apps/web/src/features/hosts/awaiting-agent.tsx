import { Button } from "@restic-manager/ui/button";
import { cn } from "@restic-manager/ui/cn";
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useSubscription } from "@trpc/tanstack-react-query";
import { ArrowRightIcon, CircleCheckIcon, CircleSlashIcon, LoaderCircleIcon, TimerOffIcon } from "lucide-react";
import { useNow } from "../../lib/now";
import { useTRPC } from "../../lib/trpc";
import { phaseOf } from "./status";
import type { EnrollmentStatus } from "./types";

const POLL_MS = 2_000;

/**
 * The token's status, live: the enrollment.watch subscription (SSE) pushes it now and on every
 * host change. While the stream is down (a proxy that buffers SSE, a dropped connection) fall
 * back to polling enrollment.status.
 */
function useEnrollmentStatus(id: string): { data: EnrollmentStatus | undefined; polling: boolean } {
  const trpc = useTRPC();
  const watch = useSubscription(trpc.enrollment.watch.subscriptionOptions({ id }));
  const broken = watch.status === "error" || (watch.status === "connecting" && watch.error !== null);
  const poll = useQuery({ ...trpc.enrollment.status.queryOptions({ id }), enabled: broken, refetchInterval: POLL_MS });
  return { data: broken ? (poll.data ?? watch.data) : (watch.data ?? poll.data), polling: broken };
}

export function AwaitingAgent({
  id,
  hostname,
  expiresAt,
  onStartOver,
}: {
  id: string;
  hostname: string;
  expiresAt: number;
  onStartOver: () => void;
}) {
  const { data, polling } = useEnrollmentStatus(id);
  const now = useNow();
  const phase = phaseOf(data, expiresAt, now);
  const hostId = data?.hostId ?? null;

  const view = {
    waiting: {
      icon: <LoaderCircleIcon className="animate-spin text-muted-foreground" />,
      title: "Waiting for the agent to enrol…",
      text: "Run the install command on the host. This panel updates by itself as soon as the agent uses the token.",
    },
    enrolled: {
      icon: <LoaderCircleIcon className="animate-spin text-warning" />,
      title: "Enrolled — waiting for the agent to connect…",
      text: "The agent exchanged the token for its own credentials. It connects once its service starts.",
    },
    connected: {
      icon: <CircleCheckIcon className="text-success" />,
      title: "Connected",
      text: `The agent on ${hostname} is online and receives its repository settings.`,
    },
    revoked: {
      icon: <CircleSlashIcon className="text-destructive" />,
      title: "Revoked",
      text: `The host enrolled with this token, ${hostname}, has since been revoked.`,
    },
    expired: {
      icon: <TimerOffIcon className="text-destructive" />,
      title: "Token expired",
      text: "No agent used this token within its hour. Create a new one and run the new command.",
    },
  }[phase];

  return (
    <section
      aria-label="Awaiting agent"
      data-phase={phase}
      className={cn(
        "flex flex-col gap-4 rounded-xl border bg-card p-5 shadow-xs transition-colors sm:flex-row sm:items-center",
        phase === "connected" && "border-success/40 bg-success/5 dark:bg-success/10",
        (phase === "expired" || phase === "revoked") && "border-destructive/30 bg-destructive/5",
      )}
    >
      <div
        aria-hidden="true"
        className={cn(
          "flex size-10 shrink-0 items-center justify-center rounded-full bg-muted [&_svg]:size-5",
          phase === "connected" && "bg-success/15",
        )}
      >
        {view.icon}
      </div>
      <div role="status" className="min-w-0 flex-1">
        <p className={cn("font-medium", phase === "connected" && "text-success")}>{view.title}</p>
        <p className="mt-0.5 text-muted-foreground text-sm leading-relaxed">{view.text}</p>
        {polling && phase !== "connected" && phase !== "expired" && (
          <p className="mt-1 text-muted-foreground text-xs">Live updates are unavailable; checking every 2 seconds.</p>
        )}
      </div>
      {(phase === "connected" || phase === "revoked") && hostId && (
        <Button asChild variant={phase === "connected" ? "default" : "outline"} className="shrink-0">
          <Link to="/hosts/$hostId" params={{ hostId }}>
            Open host
            <ArrowRightIcon aria-hidden="true" />
          </Link>
        </Button>
      )}
      {phase === "expired" && (
        <Button variant="outline" onClick={onStartOver} className="shrink-0">
          Start over
        </Button>
      )}
    </section>
  );
}
