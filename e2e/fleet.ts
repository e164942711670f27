/**
 * A fleet written straight into a running console's database through the real schema: hosts in
 * every state the host list tells apart, without one agent per host.
 */
import { join } from "node:path";
import { hosts, newId, openDatabase } from "@restic-manager/db";

export interface SeededHost {
  id: string;
  name: string;
  state: "healthy" | "failed" | "offline" | "never-connected" | "never-backed-up" | "revoked";
}

const HOUR = 3_600_000;

/**
 * `count` hosts named web-001…, db-001… and lab-001… (by i % 3); of the rest, every 25th is
 * revoked, every 15th never connected, every 12th offline, every 20th never backed up and every
 * 8th has a failed last backup.
 */
export async function seedFleet(dataDir: string, count: number): Promise<SeededHost[]> {
  const handle = await openDatabase({ url: `file:${join(dataDir, "restic-manager.db")}` });
  try {
    const now = Date.now();
    const kinds = ["web", "db", "lab"] as const;
    const seeded: SeededHost[] = [];
    const rows: (typeof hosts.$inferInsert)[] = [];
    for (let i = 1; i <= count; i++) {
      const kind = kinds[i % kinds.length] ?? "web";
      const name = `${kind}-${String(i).padStart(3, "0")}`;
      const state: SeededHost["state"] =
        i % 25 === 0
          ? "revoked"
          : i % 15 === 0
            ? "never-connected"
            : i % 12 === 0
              ? "offline"
              : i % 20 === 0
                ? "never-backed-up"
                : i % 8 === 0
                  ? "failed"
                  : "healthy";
      const connected = state !== "never-connected";
      const backedUp = connected && state !== "never-backed-up";
      const id = newId();
      seeded.push({ id, name, state });
      rows.push({
        id,
        name,
        status: state === "revoked" ? "revoked" : state === "offline" || !connected ? "offline" : "online",
        tags: kind === "db" ? ["prod", "database"] : kind === "web" ? ["prod", "web"] : ["lab"],
        os: connected ? (i % 7 === 0 ? "windows" : "linux") : null,
        arch: connected ? (i % 9 === 0 ? "arm64" : "x64") : null,
        reportedHostname: connected ? `${name}.example.internal` : null,
        agentVersion: connected ? "0.1.0" : null,
        resticVersion: connected ? "0.17.3" : null,
        protocolVersion: connected ? 1 : null,
        agentTokenHash: state === "revoked" ? null : `seeded-${id}`,
        lastSeenAt: connected ? new Date(state === "offline" ? now - 5 * HOUR : now) : null,
        revokedAt: state === "revoked" ? new Date(now - 24 * HOUR) : null,
        lastBackupAt: backedUp ? new Date(now - (i % 24) * HOUR - 60_000) : null,
        lastBackupStatus: backedUp ? (state === "failed" ? "failed" : "succeeded") : null,
        snapshotCount: backedUp ? 10 + (i % 40) : 0,
        repoSizeBytes: backedUp ? (1 + (i % 17)) * 1_250_000_000 : null,
      });
    }
    for (let i = 0; i < rows.length; i += 100) await handle.db.insert(hosts).values(rows.slice(i, i + 100));
    return seeded;
  } finally {
    handle.close();
  }
}
