/** A host's maintenance cadences: what is saved, and what a host without a saved row gets. */
import { type Database, hostRepoMaintenance } from "@restic-manager/db";
import { eq } from "drizzle-orm";

export const MAINTENANCE_KINDS = ["forget", "prune", "check"] as const;
export type MaintenanceKind = (typeof MAINTENANCE_KINDS)[number];

export interface MaintenanceSettings {
  enabled: boolean;
  forgetCron: string | null;
  pruneCron: string | null;
  checkCron: string | null;
  checkSubsetPct: number;
}

/** What a host without a saved row gets: daily forget, weekly prune and check of 5 % of the data. */
export const DEFAULT_MAINTENANCE: MaintenanceSettings = {
  enabled: true,
  forgetCron: "0 3 * * *",
  pruneCron: "0 4 * * 0",
  checkCron: "0 5 * * 0",
  checkSubsetPct: 5,
};

export async function readMaintenanceSettings(
  db: Database,
  hostId: string,
): Promise<MaintenanceSettings & { saved: boolean }> {
  const [row] = await db.select().from(hostRepoMaintenance).where(eq(hostRepoMaintenance.hostId, hostId));
  if (!row) return { ...DEFAULT_MAINTENANCE, saved: false };
  return {
    enabled: row.enabled,
    forgetCron: row.forgetCron,
    pruneCron: row.pruneCron,
    checkCron: row.checkCron,
    checkSubsetPct: row.checkSubsetPct,
    saved: true,
  };
}
