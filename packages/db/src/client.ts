import { type Client, createClient } from "@libsql/client";
import type { Logger } from "drizzle-orm";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { migrate } from "drizzle-orm/libsql/migrator";
import * as schema from "./schema.js";
import { StorageHealth } from "./storage.js";
import { queueWrites } from "./write-queue.js";

export type Database = LibSQLDatabase<typeof schema>;
/** The handle a `db.transaction(async (tx) => …)` callback receives. */
export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

export interface DatabaseHandle {
  db: Database;
  client: Client;
  /** The latest storage failure of a write (disk full, I/O error), for readiness. */
  health: StorageHealth;
  close(): void;
}

export interface OpenDatabaseOptions {
  /** libsql URL, e.g. `file:/var/lib/restic-manager/restic-manager.db`. */
  url: string;
  /** How long a statement waits for another writer before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** Connections in libsql's pool. Readers run in parallel with a writer under WAL. */
  connections?: number;
  /** Sees every SQL statement drizzle runs (tests use it to EXPLAIN them). */
  logger?: Logger;
}

const DEFAULT_BUSY_TIMEOUT_MS = 10_000;
const DEFAULT_CONNECTIONS = 4;

/**
 * Opens the database with its pragmas set explicitly.
 *
 * libsql keeps a pool of connections and connection-scoped pragmas set through `execute()`
 * reach only the connection that happened to run them (the root of libsql client issue #288,
 * where `transaction()` moved to a fresh connection without busy_timeout). So:
 *  - busy_timeout goes through the client's `timeout` option, which every pooled
 *    connection is opened with, including the ones transactions borrow;
 *  - journal_mode=WAL is stored in the database file and holds for every connection;
 *  - synchronous and foreign_keys are set on every pooled connection up front by borrowing
 *    them all at once. A connection the pool re-opens later (after an I/O error) falls back
 *    to synchronous=FULL, which is slower but never less safe; libsql opens it with
 *    foreign_keys on;
 *  - writes from this process queue behind one async mutex (see write-queue.ts), because
 *    the native driver's busy wait blocks the event loop.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const connections = options.connections ?? DEFAULT_CONNECTIONS;
  const raw = createClient({
    url: options.url,
    timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
    concurrency: connections,
  });
  await raw.execute("PRAGMA journal_mode = WAL");
  await Promise.all(
    Array.from({ length: connections }, () =>
      raw.executeMultiple("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"),
    ),
  );
  const health = new StorageHealth();
  const client = queueWrites(raw, health);
  const db = drizzle(client, { schema, ...(options.logger ? { logger: options.logger } : {}) });
  return { db, client, health, close: () => raw.close() };
}

export async function migrateDatabase(db: Database, migrationsFolder: string): Promise<void> {
  await migrate(db, { migrationsFolder });
}
