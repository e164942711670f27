/**
 * What agents report about their repository after a backup or init: the snapshot listing (in
 * parts; the last part replaces the host's list atomically) and the repository's size. A report
 * that could not be stored (a full disk) is asked for again (`reports.resend`) from the host's
 * next heartbeats until one is stored, so the list converges with the repository.
 */
import { type Database, hosts, newId, snapshots } from "@restic-manager/db";
import { desc, eq } from "drizzle-orm";
import type { AgentLink } from "../agent-link.js";
import type { EventBus } from "../events.js";

export interface ReportedSnapshot {
  id: string;
  shortId: string;
  time: number;
  hostname: string;
  paths: string[];
  tags: string[];
  summary?: Record<string, unknown> | null;
}

export const REPORT_RESEND_INTERVAL_MS = 15_000;

export class RepositoryReports {
  /** Snapshot listings arriving in parts, by reportId. */
  readonly #parts = new Map<string, { hostId: string; parts: Map<number, ReportedSnapshot[]>; expected: number }>();
  /** Hosts whose last report could not be stored, with when it was last asked for again. */
  readonly #lost = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly events: EventBus,
    private readonly link: AgentLink,
    private readonly now: () => number = Date.now,
  ) {}

  /** Called for each heartbeat: asks again for a report that could not be stored, at most every 15 s. */
  onHeartbeat(hostId: string): void {
    const last = this.#lost.get(hostId);
    if (last === undefined || this.now() - last < REPORT_RESEND_INTERVAL_MS) return;
    this.#lost.set(hostId, this.now());
    // Fire and forget: the answer is the reports themselves; an old agent says method_not_found.
    this.link.send(hostId, "rpc.request", { id: `reports-${newId()}`, method: "reports.resend", params: {} });
  }

  async #store(hostId: string, store: () => Promise<void>): Promise<void> {
    try {
      await store();
    } catch (e) {
      // Asked for again at the host's next heartbeat.
      if (!this.#lost.has(hostId)) this.#lost.set(hostId, 0);
      throw e;
    }
    this.#lost.delete(hostId);
  }

  async applySnapshots(
    hostId: string,
    report: { reportId: string; part: number; parts: number; snapshots: ReportedSnapshot[] },
  ): Promise<void> {
    let entry = this.#parts.get(report.reportId);
    if (!entry || entry.hostId !== hostId) {
      entry = { hostId, parts: new Map(), expected: report.parts };
      this.#parts.set(report.reportId, entry);
    }
    entry.parts.set(report.part, report.snapshots);
    if (entry.parts.size < entry.expected) return;
    this.#parts.delete(report.reportId);
    const all = [...entry.parts.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, s]) => s);
    await this.#store(hostId, () =>
      this.db.transaction(async (tx) => {
        await tx.delete(snapshots).where(eq(snapshots.hostId, hostId));
        for (let i = 0; i < all.length; i += 200) {
          await tx.insert(snapshots).values(
            all.slice(i, i + 200).map((s) => ({
              hostId,
              snapshotId: s.id,
              shortId: s.shortId,
              time: new Date(s.time),
              hostname: s.hostname,
              paths: s.paths,
              tags: s.tags,
              summary: s.summary ?? null,
            })),
          );
        }
        await tx.update(hosts).set({ snapshotCount: all.length }).where(eq(hosts.id, hostId));
      }),
    );
    this.events.emit("host.snapshots", { hostId });
  }

  async applyRepoStats(
    hostId: string,
    stats: { totalSizeBytes: number; totalUncompressedSizeBytes?: number | null; at?: number },
  ): Promise<void> {
    await this.#store(hostId, async () => {
      await this.db
        .update(hosts)
        .set({
          repoSizeBytes: stats.totalSizeBytes,
          repoRawSizeBytes: stats.totalUncompressedSizeBytes ?? null,
          repoStatsAt: new Date(stats.at ?? this.now()),
        })
        .where(eq(hosts.id, hostId));
    });
    this.events.emit("host.snapshots", { hostId });
  }

  /** A host's snapshots, newest first. */
  snapshots(hostId: string, options: { limit: number; offset: number }) {
    return this.db
      .select()
      .from(snapshots)
      .where(eq(snapshots.hostId, hostId))
      .orderBy(desc(snapshots.time))
      .limit(options.limit)
      .offset(options.offset);
  }
}
