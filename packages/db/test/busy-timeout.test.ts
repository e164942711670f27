import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { meta, migrateDatabase, openDatabase } from "../src/index.js";

const MIGRATIONS = resolve(import.meta.dirname, "../../../drizzle");
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function freshDb(busyTimeoutMs?: number) {
  const dir = mkdtempSync(join(tmpdir(), "rm-db-"));
  dirs.push(dir);
  const url = `file:${join(dir, "test.db")}`;
  const handle = await openDatabase({ url, busyTimeoutMs });
  await migrateDatabase(handle.db, MIGRATIONS);
  return { handle, url };
}

/**
 * A second connection, in another process as in real life (a backup script, the sqlite3
 * shell), that takes the write lock and keeps it for `ms`. Resolves once the lock is held;
 * `done` settles when the other process has committed and exited.
 */
async function holdWriteLockElsewhere(url: string, ms: number) {
  const script = `
    const { createClient } = require("@libsql/client");
    (async () => {
      const c = createClient({ url: ${JSON.stringify(url)} });
      const tx = await c.transaction("write");
      await tx.execute("INSERT INTO meta (key, value) VALUES ('holder', 'x')");
      process.stdout.write("locked\\n");
      setTimeout(async () => { await tx.commit(); c.close(); process.exit(0); }, ${ms});
    })();`;
  const child = spawn(process.execPath, ["-e", script], {
    cwd: import.meta.dirname,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const done = new Promise<number | null>((r) => child.on("exit", r));
  await new Promise<void>((ready, fail) => {
    child.stdout.on("data", (d: Buffer) => d.toString().includes("locked") && ready());
    child.on("exit", (code) => fail(new Error(`lock holder exited early (${code})`)));
  });
  return { done };
}

describe("database pragmas", () => {
  it("sets WAL, synchronous=NORMAL and foreign_keys on every pooled connection", async () => {
    const { handle } = await freshDb();
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        handle.client.execute("SELECT * FROM pragma_journal_mode, pragma_synchronous, pragma_foreign_keys"),
      ),
    );
    for (const r of results) expect(r.rows[0]).toMatchObject({ journal_mode: "wal", synchronous: 1, foreign_keys: 1 });
    handle.close();
  });

  it("waits out a second connection's 2 s write lock inside transaction() instead of 'database is locked'", async () => {
    const { handle, url } = await freshDb();
    const holder = await holdWriteLockElsewhere(url, 2000);
    const started = Date.now();
    // Several transactions, so they run on pooled connections other than the one that ran setup.
    await Promise.all(
      ["a", "b", "c"].map((key) =>
        handle.db.transaction(async (tx) => {
          await tx.insert(meta).values({ key, value: "1" });
        }),
      ),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(await holder.done).toBe(0);
    const keys = (await handle.db.select().from(meta)).map((r) => r.key).sort();
    expect(keys).toEqual(["a", "b", "c", "holder"]);
    handle.close();
  });

  it("control: with busy_timeout 0 the same transaction fails, so the test above can fail", async () => {
    const { handle, url } = await freshDb(0);
    const holder = await holdWriteLockElsewhere(url, 1000);
    await expect(
      handle.db.transaction(async (tx) => {
        await tx.insert(meta).values({ key: "z", value: "1" });
      }),
    ).rejects.toThrow(/locked|busy/i);
    await holder.done;
    handle.close();
  });

  it("interleaves many transactions and plain writes from one process without lock errors", async () => {
    const { handle } = await freshDb();
    // Without the write queue this stalls for busy_timeout and then fails with SQLITE_BUSY.
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? handle.db.transaction(async (tx) => {
              await tx.insert(meta).values({ key: `tx${i}`, value: "1" });
              await new Promise((r) => setTimeout(r, 5));
              await tx.insert(meta).values({ key: `tx${i}b`, value: "1" });
            })
          : handle.db.insert(meta).values({ key: `plain${i}`, value: "1" }),
      ),
    );
    expect((await handle.db.select().from(meta)).length).toBe(60);
    handle.close();
  });
});
