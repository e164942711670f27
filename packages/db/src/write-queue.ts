import type { Client, InStatement, Transaction, TransactionMode } from "@libsql/client";
import type { StorageHealth } from "./storage.js";

/** A FIFO async mutex. `lock()` resolves with the function that releases it. */
export class AsyncMutex {
  #tail: Promise<void> = Promise.resolve();

  lock(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => {
      release = r;
    });
    const acquired = this.#tail.then(() => once(release));
    this.#tail = this.#tail.then(() => next);
    return acquired;
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}

const READ_ONLY = /^\s*(select|explain)\b/i;
const sqlOf = (stmt: InStatement) => (typeof stmt === "string" ? stmt : stmt.sql);

/**
 * libsql's native driver waits for SQLite's write lock *synchronously*: while one pooled
 * connection holds a write transaction across an `await`, a write on another pooled
 * connection of the same process blocks the event loop for the whole busy_timeout, so the
 * holder can never finish and the wait ends in "database is locked". SQLite allows one
 * writer at a time anyway, so this queues every write (and every transaction, for its whole
 * life) behind an async mutex. Reads skip the queue and run in parallel under WAL.
 * busy_timeout is then only ever spent on writers in *other* processes.
 */
/**
 * libsql runs each statement synchronously and its promise settles as a microtask, so a backlog
 * of awaited statements (500 agents streaming logs, 10k reconnecting, a ticker walking every
 * host) runs back to back in microtasks and the event loop never gets to I/O or timers: stalls
 * grow with the backlog (measured in bench/README.md's findings). Every statement first
 * checks how long this process has gone without a macrotask turn of ours and, past
 * `YIELD_AFTER_MS`, waits for one (setImmediate runs after pending I/O callbacks).
 */
const YIELD_AFTER_MS = 10;
let lastTurn = performance.now();
export async function yieldIfBusy(): Promise<void> {
  if (performance.now() - lastTurn < YIELD_AFTER_MS) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  lastTurn = performance.now();
}

export function queueWrites(client: Client, health?: StorageHealth): Client {
  const mutex = new AsyncMutex();
  /** Every write's outcome goes to `health`, so /readyz can say the disk is full. */
  const observed = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      const result = await fn();
      health?.record(undefined);
      return result;
    } catch (e) {
      health?.record(e);
      throw e;
    }
  };

  const withLock = async <T>(fn: () => Promise<T>): Promise<T> => {
    const release = await mutex.lock();
    try {
      await yieldIfBusy();
      return await observed(fn);
    } finally {
      release();
    }
  };

  const transaction = async (mode?: TransactionMode): Promise<Transaction> => {
    const release = await mutex.lock();
    let tx: Transaction;
    try {
      await yieldIfBusy();
      tx = await client.transaction(mode);
    } catch (e) {
      release();
      throw e;
    }
    const settle =
      <A extends unknown[], R>(fn: (...args: A) => R) =>
      (...args: A): R => {
        try {
          const result = fn(...args);
          if (result instanceof Promise) return result.finally(release) as R;
          release();
          return result;
        } catch (e) {
          release();
          throw e;
        }
      };
    return new Proxy(tx, {
      get(target, prop, receiver) {
        if (prop === "commit") return settle(() => observed(() => target.commit()));
        if (prop === "execute" || prop === "batch" || prop === "executeMultiple") {
          const fn = (Reflect.get(target, prop, receiver) as (...a: unknown[]) => Promise<unknown>).bind(target);
          return (...args: unknown[]) =>
            fn(...args).catch((e: unknown) => {
              health?.record(e);
              throw e;
            });
        }
        if (prop === "rollback") return settle(() => target.rollback());
        if (prop === "close") return settle(() => target.close());
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };

  return new Proxy(client, {
    get(target, prop, receiver) {
      switch (prop) {
        case "transaction":
          return transaction;
        case "execute":
          return (stmt: InStatement, args?: unknown) => {
            const run = () =>
              args === undefined ? target.execute(stmt) : target.execute(stmt as string, args as never);
            return READ_ONLY.test(sqlOf(stmt)) ? yieldIfBusy().then(run) : withLock(run);
          };
        case "batch":
          return (stmts: InStatement[], mode?: TransactionMode) =>
            stmts.every((s) => READ_ONLY.test(sqlOf(s)))
              ? target.batch(stmts, mode)
              : withLock(() => target.batch(stmts, mode));
        case "executeMultiple":
          return (sql: string) => withLock(() => target.executeMultiple(sql));
        case "migrate":
          return (stmts: InStatement[]) => withLock(() => target.migrate(stmts));
        default: {
          const value = Reflect.get(target, prop, receiver);
          return typeof value === "function" ? value.bind(target) : value;
        }
      }
    },
  });
}
