import type { inferOutput } from "@trpc/tanstack-react-query";
import type { Trpc } from "../../lib/trpc";

export type Host = inferOutput<Trpc["hosts"]["get"]>;
export type HostStatus = Host["status"];
export type EnrollmentStatus = inferOutput<Trpc["enrollment"]["status"]>;
export type CreatedEnrollment = inferOutput<Trpc["enrollment"]["create"]>;

/** Hosts and the host page follow the fleet by polling: simple, and it survives proxies. */
export const LIVE_REFRESH_MS = 5_000;
