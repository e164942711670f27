/**
 * Storage failures: telling "the disk is full" apart from a bug, and remembering it.
 *
 * SQLite reports a full disk as SQLITE_FULL, a failing device as SQLITE_IOERR*, a read-only
 * mount as SQLITE_READONLY. libsql puts that code on its error; drizzle wraps it in a
 * "Failed query: <sql> params: <values>" error whose `cause` is libsql's. Nothing of that text
 * may reach an API answer (it carries SQL and parameters); callers turn a storage failure into
 * words an operator can act on, and everything else into a generic answer with an error id.
 */

export type StorageFailureKind = "disk_full" | "io_error" | "read_only" | "corrupt";

export interface StorageFailure {
  kind: StorageFailureKind;
  /** SQLite's code, e.g. SQLITE_FULL. */
  code: string;
}

const KINDS: [RegExp, StorageFailureKind][] = [
  [/^SQLITE_FULL/, "disk_full"],
  [/^SQLITE_IOERR/, "io_error"],
  [/^SQLITE_READONLY/, "read_only"],
  [/^SQLITE_(CORRUPT|NOTADB)/, "corrupt"],
];

/** The storage failure somewhere in `e`'s cause chain, or null when it is something else. */
export function storageFailureOf(e: unknown): StorageFailure | null {
  let current: unknown = e;
  for (let depth = 0; depth < 8 && current; depth++) {
    const err = current as { code?: unknown; rawCode?: unknown; message?: unknown; cause?: unknown };
    const candidates = [err.code, typeof err.message === "string" ? err.message.split(":")[0] : undefined];
    for (const c of candidates) {
      if (typeof c !== "string") continue;
      for (const [pattern, kind] of KINDS) if (pattern.test(c)) return { kind, code: c.trim() };
    }
    current = err.cause;
  }
  return null;
}

/** What an operator reads when a change could not be saved. */
export function describeStorageFailure(f: StorageFailure): string {
  switch (f.kind) {
    case "disk_full":
      return "The console's disk is full, so it cannot save anything right now. Free space on the volume that holds its data directory; nothing already saved is lost, and agents keep what they could not deliver until then.";
    case "read_only":
      return "The console's database is read-only right now (the volume may have been remounted read-only). Check the volume that holds its data directory.";
    case "corrupt":
      return "The console's database reports damage. Stop the console and restore the database from a backup; see docs/operations.md.";
    default:
      return "The console cannot write to its disk (an I/O error). Check the volume that holds its data directory.";
  }
}

/**
 * The latest storage failure of writes through this handle, cleared by the next write that
 * succeeds. `/readyz` reads it; the write queue feeds it.
 */
export class StorageHealth {
  #failure: (StorageFailure & { at: number; count: number }) | null = null;
  #lastSuccessAt = 0;

  /** A failure stays current this long even when small writes get through meanwhile. */
  static readonly HOLD_MS = 30_000;

  constructor(private readonly now: () => number = Date.now) {}

  /** Called with every write's outcome: undefined for a success, the error otherwise. */
  record(error: unknown): void {
    if (error === undefined) {
      this.#lastSuccessAt = this.now();
      return;
    }
    const f = storageFailureOf(error);
    if (!f) return;
    this.#failure = { ...f, at: this.now(), count: (this.#failure?.count ?? 0) + 1 };
  }

  /**
   * The current failure: the latest one while no write succeeded after it, or for HOLD_MS
   * after it (on a full disk a write that fits in free pages still succeeds, and readiness
   * must not flap with each one).
   */
  get failure(): Readonly<StorageFailure & { at: number; count: number }> | null {
    const f = this.#failure;
    if (!f) return null;
    if (this.#lastSuccessAt <= f.at || this.now() - f.at < StorageHealth.HOLD_MS) return f;
    this.#failure = null;
    return null;
  }
}
