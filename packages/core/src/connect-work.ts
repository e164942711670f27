/**
 * What a host's agent needs right after hello, in one query of four indexed EXISTS: an init
 * (its repository was never initialised), queued jobs to send, pending catch-up runs, schedules
 * with slots not yet accounted for. The gateway calls the services only for what is there, so a
 * fleet reconnecting after a console restart (10,000 hellos) costs one read per host instead of
 * four service calls with their own queries.
 */
import type { Database } from "@restic-manager/db";
import { sql } from "drizzle-orm";

export interface ConnectWork {
  initialised: boolean;
  activeJobs: boolean;
  pendingRuns: boolean;
  unaccountedSchedules: boolean;
}

export async function connectWork(db: Database, hostId: string, now: number): Promise<ConnectWork> {
  const [row] = await db.all<{ initialised: number; active: number; pending: number; unaccounted: number }>(sql`
    SELECT
      EXISTS (SELECT 1 FROM jobs WHERE host_id = ${hostId} AND status = 'succeeded' AND kind = 'init') AS initialised,
      EXISTS (SELECT 1 FROM jobs WHERE host_id = ${hostId} AND status IN ('queued', 'running')) AS active,
      EXISTS (SELECT 1 FROM pending_runs WHERE host_id = ${hostId}) AS pending,
      EXISTS (SELECT 1 FROM schedules WHERE host_id = ${hostId} AND enabled = 1 AND accounted_until < ${now}) AS unaccounted`);
  return {
    initialised: row?.initialised === 1,
    activeJobs: row?.active === 1,
    pendingRuns: row?.pending === 1,
    unaccountedSchedules: row?.unaccounted === 1,
  };
}
