import { Badge } from "@restic-manager/ui/badge";
import { Button } from "@restic-manager/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@restic-manager/ui/card";
import { Link } from "@tanstack/react-router";
import type { LucideIcon } from "lucide-react";
import {
  ArrowRightIcon,
  CalendarClockIcon,
  FolderTreeIcon,
  HistoryIcon,
  KeyRoundIcon,
  ScrollTextIcon,
  ServerIcon,
  ShieldCheckIcon,
  UsersIcon,
  WrenchIcon,
} from "lucide-react";
import { PageHeader } from "../../components/page-header";
import type { FileRoutesByTo } from "../../routeTree.gen";
import { ROLE_DESCRIPTIONS, ROLE_LABELS, useCurrentUser } from "../auth/current-user";
import { FleetSummary } from "./fleet-summary";

interface NextStep {
  to: keyof FileRoutesByTo;
  icon: LucideIcon;
  title: string;
  text: string;
  cta: string;
  adminOnly?: boolean;
}

const NEXT_STEPS: NextStep[] = [
  {
    to: "/settings/tokens",
    icon: KeyRoundIcon,
    title: "API tokens",
    text: "Script the console from CI or cron: every procedure is reachable with @trpc/client and a token.",
    cta: "Manage API tokens",
  },
  {
    to: "/admin/users",
    icon: UsersIcon,
    title: "Users",
    text: "Add the people who run or watch backups. Operators act, viewers only look.",
    cta: "Manage users",
    adminOnly: true,
  },
  {
    to: "/admin/audit",
    icon: ScrollTextIcon,
    title: "Audit log",
    text: "Every sign-in and change, with who did it, when, and from which address.",
    cta: "Open the audit log",
    adminOnly: true,
  },
];

const CAPABILITIES: Array<{ icon: LucideIcon; title: string; text: string; available: boolean }> = [
  {
    icon: ShieldCheckIcon,
    title: "Accounts, roles and audit",
    text: "Admin, operator and viewer roles; API tokens for scripts; an audit trail of every change.",
    available: true,
  },
  {
    icon: ServerIcon,
    title: "Hosts and the agent",
    text: "Enrol Linux and Windows hosts with one command. A small agent on each connects back, reports its restic, and receives the repository credentials.",
    available: true,
  },
  {
    icon: FolderTreeIcon,
    title: "Source groups",
    text: "Paths, excludes, retention, retries and hooks, defined once per group of data.",
    available: false,
  },
  {
    icon: CalendarClockIcon,
    title: "Schedules and live jobs",
    text: "Cron schedules per host; follow each backup live with its log streamed to the browser.",
    available: false,
  },
  {
    icon: HistoryIcon,
    title: "Snapshots and restore",
    text: "Browse snapshots and restore files to a safe target, or in place after typing the host name.",
    available: false,
  },
  {
    icon: WrenchIcon,
    title: "Repository maintenance",
    text: "Check and prune on a cadence the server keeps, so repositories stay healthy unattended.",
    available: false,
  },
];

export function OverviewPage() {
  const user = useCurrentUser();
  const steps = NEXT_STEPS.filter((step) => !step.adminOnly || user.role === "admin");

  return (
    <>
      <PageHeader
        title={`Welcome, ${user.username}`}
        description="restic-manager runs restic backups for a fleet of Linux and Windows hosts, from one console."
      />

      <FleetSummary />

      <section aria-labelledby="next-steps" className="mb-10">
        <h2 id="next-steps" className="mb-3 font-semibold text-lg tracking-tight">
          What you can do now
        </h2>
        <div className="grid gap-4 sm:grid-cols-2">
          {steps.map((step) => (
            <Card key={step.to} className="gap-4">
              <CardHeader>
                <CardTitle className="flex items-center gap-2">
                  <step.icon className="size-4 text-muted-foreground" aria-hidden="true" />
                  {step.title}
                </CardTitle>
                <CardDescription className="leading-relaxed">{step.text}</CardDescription>
              </CardHeader>
              <CardFooter className="mt-auto">
                <Button asChild variant="outline" size="sm">
                  <Link to={step.to}>
                    {step.cta}
                    <ArrowRightIcon aria-hidden="true" />
                  </Link>
                </Button>
              </CardFooter>
            </Card>
          ))}
          <Card className="gap-4">
            <CardHeader>
              <CardTitle className="flex items-center gap-2">
                <ShieldCheckIcon className="size-4 text-muted-foreground" aria-hidden="true" />
                Your role: {ROLE_LABELS[user.role]}
              </CardTitle>
              <CardDescription className="leading-relaxed">{ROLE_DESCRIPTIONS[user.role]}</CardDescription>
            </CardHeader>
          </Card>
        </div>
      </section>

      <section aria-labelledby="capabilities">
        <h2 id="capabilities" className="mb-1 font-semibold text-lg tracking-tight">
          What restic-manager does
        </h2>
        <p className="mb-4 text-muted-foreground text-sm">Some of it is here today; the rest is coming next.</p>
        <Card className="py-0">
          <CardContent className="px-0">
            <ul className="divide-y">
              {CAPABILITIES.map((item) => (
                <li key={item.title} className="flex items-start gap-3 px-5 py-4">
                  <item.icon className="mt-0.5 size-4 shrink-0 text-muted-foreground" aria-hidden="true" />
                  <div className="min-w-0 flex-1">
                    <p className="font-medium text-sm">{item.title}</p>
                    <p className="mt-0.5 text-muted-foreground text-sm">{item.text}</p>
                  </div>
                  {item.available ? (
                    <Badge variant="success">Available</Badge>
                  ) : (
                    <Badge variant="secondary">Coming next</Badge>
                  )}
                </li>
              ))}
            </ul>
          </CardContent>
        </Card>
      </section>
    </>
  );
}
