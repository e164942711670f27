import type { inferOutput } from "@trpc/tanstack-react-query";
import type { Trpc } from "../../lib/trpc";

export type Host = inferOutput<Trpc["hosts"]["get"]>;
export type HostStatus = Host["status"];
export type EnrollmentStatus = inferOutput<Trpc["enrollment"]["status"]>;
/** A token just created on the Add host page, with the name it was created for. */
export type Enrollment = inferOutput<Trpc["enrollment"]["create"]> & { hostname: string };

/** Hosts and the host page follow the fleet by polling: simple, and it survives proxies. */
export const LIVE_REFRESH_MS = 5_000;
export type SourceGroup = inferOutput<Trpc["sources"]["list"]>["items"][number];
export type Schedule = inferOutput<Trpc["schedules"]["list"]>["items"][number];

/** A schedule's source groups by name, for the sentences that say what it backs up. */
export const groupList = (schedule: Schedule) => schedule.groups.map((group) => group.name).join(", ");
export type Snapshot = inferOutput<Trpc["hosts"]["snapshots"]>["items"][number];
