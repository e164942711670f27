/**
 * Data generator: fills a console database with H hosts (one "default" source group each),
 * J jobs spread over them and the last days, and L log lines spread over the jobs, through the
 * real schema (drizzle, packages/db) in large batched transactions. Run it against a stopped
 * console's database (RM_DATA_DIR/restic-manager.db) or a fresh file: it applies the migrations.
 */
import { createHash, randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { type Client, createClient, type InValue } from "@libsql/client";
import { hosts, jobLogs, jobs, newId, schema, sourceGroups } from "@restic-manager/db";
import { drizzle } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";

export const MIGRATIONS_DIR = resolve(import.meta.dirname, "../../../drizzle");

export interface SeedOptions {
  /** libsql URL (`file:/path/restic-manager.db`) or a plain path. */
  database: string;
  hosts: number;
  jobs: number;
  logLines: number;
  /** Rows per INSERT statement (bounded by SQLite's 32,766 bound variables). */
  rowsPerInsert?: number;
  /** Rows per transaction. */
  rowsPerTransaction?: number;
  /** Jobs are spread over this many days back from now. */
  days?: number;
  hostPrefix?: string;
  /**
   * Give every host a real agent bearer (stored as its SHA-256, as enrolment does) and return
   * them, so a FleetSimulator can connect the seeded fleet without enrolling it.
   */
  agentTokens?: boolean;
  /**
   * Give every host a succeeded `init` job (default true), as a host that has connected before
   * has: the console then dispatches no init when the seeded fleet connects.
   */
  initialised?: boolean;
  /**
   * Give every host a succeeded forget, prune and check job within the last hour (default true),
   * as a fleet that has been running has: the console's maintenance ticker then finds nothing due
   * and does not dispatch one job per host on its first pass.
   */
  maintained?: boolean;
  onProgress?: (table: string, done: number, total: number) => void;
}

export interface SeedResult {
  hosts: number;
  jobs: number;
  /** Succeeded init jobs (one per host with `initialised`), on top of `jobs`. */
  initJobs: number;
  /** Succeeded forget/prune/check jobs (three per host with `maintained`), on top of `jobs`. */
  maintenanceJobs: number;
  logLines: number;
  ms: { hosts: number; jobs: number; logLines: number; total: number };
  rowsPerSecond: number;
  /** With `agentTokens`: one identity per host, for FleetSimulator. */
  identities?: { hostId: string; agentToken: string; hostname: string }[];
}

/**
 * Multi-row INSERT built from the drizzle table definition: column names and value mapping
 * (json, timestamp_ms, boolean) come from the schema, so the rows are what drizzle would write;
 * only drizzle's per-statement query building (2.5x slower at this volume) is skipped.
 */
function rawInserter<T extends SQLiteTable>(table: T) {
  const config = getTableConfig(table);
  const byKey = new Map(Object.entries(table as unknown as Record<string, unknown>));
  const statements = new Map<string, string>();
  return async (tx: Pick<Client, "execute">, rows: T["$inferInsert"][]) => {
    const first = rows[0];
    if (!first) return;
    const keys = Object.keys(first);
    const cols = keys.map((k) => {
      const col = byKey.get(k) as (typeof config.columns)[number] | undefined;
      if (!col || !config.columns.includes(col)) throw new Error(`${config.name}: no column ${k}`);
      return col;
    });
    const cacheKey = `${keys.join(",")}#${rows.length}`;
    let sql = statements.get(cacheKey);
    if (!sql) {
      const tuple = `(${cols.map(() => "?").join(",")})`;
      sql = `INSERT INTO "${config.name}" (${cols.map((c) => `"${c.name}"`).join(",")}) VALUES ${Array(rows.length).fill(tuple).join(",")}`;
      statements.set(cacheKey, sql);
    }
    const args: InValue[] = [];
    for (const row of rows) {
      const r = row as Record<string, unknown>;
      for (let i = 0; i < keys.length; i++) {
        const v = r[keys[i] as string];
        args.push(v === null || v === undefined ? null : (cols[i]!.mapToDriverValue(v) as InValue));
      }
    }
    await tx.execute({ sql, args });
  };
}

const STATUSES = ["succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "failed"] as const;

export async function seedDatabase(options: SeedOptions): Promise<SeedResult> {
  const url = options.database.startsWith("file:") ? options.database : `file:${resolve(options.database)}`;
  // One pooled connection: the pragmas and BEGIN/COMMIT below must all reach the same one.
  const client = createClient({ url, concurrency: 1 });
  const t0 = performance.now();
  try {
    await client.execute("PRAGMA journal_mode = WAL");
    // A seeded database is throwaway until it is complete: trade durability for speed.
    await client.execute("PRAGMA synchronous = OFF");
    await client.execute("PRAGMA foreign_keys = ON");
    const db = drizzle(client, { schema });
    await migrate(db, { migrationsFolder: MIGRATIONS_DIR });
    const perInsert = options.rowsPerInsert ?? 500;
    const perTx = options.rowsPerTransaction ?? 50_000;
    const now = Date.now();
    const days = options.days ?? 30;
    const prefix = options.hostPrefix ?? "seed";

    /** Generates rows in order, inserting them in batched transactions. */
    async function fill<R>(
      name: string,
      total: number,
      make: (i: number) => R,
      insert: (tx: Pick<Client, "execute">, rows: R[]) => Promise<unknown>,
    ) {
      for (let txStart = 0; txStart < total; txStart += perTx) {
        const txEnd = Math.min(total, txStart + perTx);
        // With one pooled connection the transaction borrows the connection the pragmas ran on.
        const tx = await client.transaction("write");
        try {
          for (let i = txStart; i < txEnd; i += perInsert) {
            const rows: R[] = [];
            for (let k = i; k < Math.min(txEnd, i + perInsert); k++) rows.push(make(k));
            await insert(tx, rows);
          }
          await tx.commit();
        } finally {
          tx.close();
        }
        options.onProgress?.(name, txEnd, total);
      }
    }
    const insertHosts = rawInserter(hosts);
    const insertGroups = rawInserter(sourceGroups);
    const insertJobs = rawInserter(jobs);
    const insertLogs = rawInserter(jobLogs);

    // Hosts and their source groups.
    const hostIds: string[] = [];
    const groupIds: string[] = [];
    const tokens: string[] = [];
    const hostTime = now - days * 86_400_000;
    for (let i = 0; i < options.hosts; i++) {
      hostIds.push(newId(hostTime + i));
      groupIds.push(newId(hostTime + i));
      if (options.agentTokens) tokens.push(`rma_${randomBytes(32).toString("base64url")}`);
    }
    const hostName = (i: number) => `${prefix}-${String(i).padStart(5, "0")}`;
    const tHosts = performance.now();
    await fill(
      "hosts",
      options.hosts,
      (i) => ({
        id: hostIds[i] as string,
        name: hostName(i),
        status: (i % 10 === 0 ? "offline" : "online") as "online" | "offline",
        os: "linux",
        arch: "x64",
        reportedHostname: `${prefix}-${i}.example.internal`,
        agentVersion: "0.1.0",
        resticVersion: "0.17.3",
        protocolVersion: 1,
        agentTokenHash: options.agentTokens
          ? createHash("sha256")
              .update(tokens[i] as string, "utf8")
              .digest("hex")
          : `seed-${hostIds[i]}`,
        lastSeenAt: new Date(now - (i % 60) * 1000),
        createdAt: new Date(hostTime),
        snapshotCount: 0,
      }),
      insertHosts,
    );
    await fill(
      "source_groups",
      options.hosts,
      (i) => ({
        id: groupIds[i] as string,
        hostId: hostIds[i] as string,
        name: "default",
        includePaths: ["/etc", "/srv"],
        excludePatterns: ["*.tmp"],
        updatedAt: new Date(hostTime),
      }),
      insertGroups,
    );
    const initialised = options.initialised ?? true;
    if (initialised) {
      // One succeeded init per host, a minute after the host was created (older than every backup).
      await fill(
        "init_jobs",
        options.hosts,
        (i) => ({
          id: newId(hostTime + 60_000 + i),
          hostId: hostIds[i] as string,
          kind: "init" as const,
          status: "succeeded" as const,
          actor: "system:system",
          actorName: "system",
          params: {},
          createdAt: new Date(hostTime + 60_000),
          dispatchedAt: new Date(hostTime + 60_005),
          startedAt: new Date(hostTime + 60_020),
          finishedAt: new Date(hostTime + 61_000),
          exitCode: 0,
          lastSeq: 3,
          logLines: 0,
          logBytes: 0,
        }),
        insertJobs,
      );
    }
    const maintained = options.maintained ?? true;
    const MAINTENANCE = ["forget", "prune", "check"] as const;
    if (maintained) {
      await fill(
        "maintenance_jobs",
        options.hosts * MAINTENANCE.length,
        (k) => {
          const i = Math.floor(k / MAINTENANCE.length);
          const kind = MAINTENANCE[k % MAINTENANCE.length] as (typeof MAINTENANCE)[number];
          // Spread over the hour before now, so no cadence slot has passed since.
          const created = now - 3_600_000 + ((i * 7919) % 3_000_000) + (k % MAINTENANCE.length) * 60_000;
          return {
            id: newId(created),
            hostId: hostIds[i] as string,
            kind,
            status: "succeeded" as const,
            actor: "maintenance:ticker",
            actorName: "maintenance",
            params: {},
            createdAt: new Date(created),
            dispatchedAt: new Date(created + 5),
            startedAt: new Date(created + 20),
            finishedAt: new Date(created + 30_000),
            exitCode: 0,
            lastSeq: 3,
            logLines: 0,
            logBytes: 0,
          };
        },
        insertJobs,
      );
    }
    const msHosts = performance.now() - tHosts;

    // Jobs: ids are ULIDs of their creation time, oldest first, round-robin over hosts.
    const span = days * 86_400_000;
    const jobIds: string[] = new Array(options.jobs);
    const linesPerJob = options.jobs > 0 ? Math.floor(options.logLines / options.jobs) : 0;
    const extraLines = options.jobs > 0 ? options.logLines - linesPerJob * options.jobs : 0;
    const linesOf = (j: number) => linesPerJob + (j < extraLines ? 1 : 0);
    const tJobs = performance.now();
    await fill(
      "jobs",
      options.jobs,
      (j) => {
        const created = now - span + Math.floor((j / Math.max(1, options.jobs)) * span);
        const id = newId(created);
        jobIds[j] = id;
        const h = j % Math.max(1, options.hosts);
        const status = STATUSES[j % STATUSES.length] as (typeof STATUSES)[number];
        const n = linesOf(j);
        return {
          id,
          hostId: hostIds[h] as string,
          kind: "backup" as const,
          status,
          sourceGroupId: groupIds[h] as string,
          actor: "system",
          actorName: "schedule",
          params: { paths: ["/etc", "/srv"], excludes: ["*.tmp"], tags: ["default"] },
          createdAt: new Date(created),
          dispatchedAt: new Date(created + 5),
          startedAt: new Date(created + 20),
          finishedAt: new Date(created + 60_000),
          stats:
            status === "succeeded"
              ? { filesNew: j % 50, filesChanged: j % 7, dataAdded: 1000 * (j % 997), totalDuration: 60 }
              : null,
          exitCode: status === "succeeded" ? 0 : 1,
          error: status === "failed" ? "Fatal: unable to open repository (seeded)" : null,
          lastSeq: n > 0 ? n + 2 : 2,
          logLines: n,
          logBytes: n * 64,
        };
      },
      insertJobs,
    );
    const msJobs = performance.now() - tJobs;

    // Log lines: job by job, seq 0..n-1 (lineOffset + i, as the ingest stores them).
    const tLogs = performance.now();
    let cursorJob = 0;
    let cursorSeq = 0;
    await fill(
      "job_logs",
      options.jobs > 0 ? options.logLines : 0,
      (k) => {
        while (cursorSeq >= linesOf(cursorJob)) {
          cursorJob++;
          cursorSeq = 0;
        }
        const seq = cursorSeq++;
        return {
          jobId: jobIds[cursorJob] as string,
          seq,
          at: new Date(now - span + k),
          stream: "stdout" as const,
          line: `new       /srv/data/dir-${cursorJob % 100}/file-${String(seq).padStart(6, "0")}.dat, saved`,
        };
      },
      insertLogs,
    );
    const msLogs = performance.now() - tLogs;
    const total = performance.now() - t0;
    const initJobs = initialised ? options.hosts : 0;
    const maintenanceJobs = maintained ? options.hosts * MAINTENANCE.length : 0;
    const rows =
      options.hosts * 2 + initJobs + maintenanceJobs + options.jobs + (options.jobs > 0 ? options.logLines : 0);
    return {
      hosts: options.hosts,
      jobs: options.jobs,
      initJobs,
      maintenanceJobs,
      logLines: options.jobs > 0 ? options.logLines : 0,
      ms: { hosts: msHosts, jobs: msJobs, logLines: msLogs, total },
      rowsPerSecond: Math.round(rows / (total / 1000)),
      ...(options.agentTokens
        ? {
            identities: hostIds.map((hostId, i) => ({
              hostId,
              agentToken: tokens[i] as string,
              hostname: hostName(i),
            })),
          }
        : {}),
    };
  } finally {
    client.close();
  }
}
