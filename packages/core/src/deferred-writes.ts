/**
 * Writes that must not be lost but may wait: a sign-in's session row and its audit row while
 * the console's disk is full. A write that fails with a storage failure (see
 * `storageFailureOf`) is kept in memory, in order, and retried until it is stored; any other
 * error is the caller's. Bounded: past `max` waiting writes the oldest is dropped with a count
 * (`dropped`), since the alternative is a console that runs out of memory as well as disk.
 */
import { storageFailureOf } from "@restic-manager/db";

interface Waiting {
  label: string;
  write: () => Promise<void>;
}

export class DeferredWrites {
  readonly #waiting: Waiting[] = [];
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<number> | null = null;
  /** Writes given up on because the queue was full. */
  dropped = 0;

  constructor(
    private readonly retryMs = 5_000,
    private readonly max = 10_000,
  ) {}

  get size(): number {
    return this.#waiting.length;
  }

  /** Runs `write` now; on a storage failure keeps it for later instead of failing the caller. */
  async run(label: string, write: () => Promise<void>): Promise<"stored" | "deferred"> {
    // Behind writes already waiting, so their order holds.
    if (this.#waiting.length === 0) {
      try {
        await write();
        return "stored";
      } catch (e) {
        if (!storageFailureOf(e)) throw e;
      }
    }
    this.#waiting.push({ label, write });
    if (this.#waiting.length > this.max) {
      this.#waiting.shift();
      this.dropped++;
    }
    this.#arm();
    return "deferred";
  }

  /** Retries the waiting writes in order; stops at the first that still fails. Returns how many were stored. */
  flush(): Promise<number> {
    this.#flushing ??= (async () => {
      let stored = 0;
      try {
        while (this.#waiting.length > 0) {
          const next = this.#waiting[0]!;
          try {
            await next.write();
          } catch (e) {
            if (storageFailureOf(e)) break;
            // Not a storage problem: retrying cannot help; drop it rather than block the rest.
            this.dropped++;
          }
          this.#waiting.shift();
          stored++;
        }
      } finally {
        this.#flushing = null;
      }
      if (this.#waiting.length === 0) this.close();
      return stored;
    })();
    return this.#flushing;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #arm(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.flush(), this.retryMs);
    this.#timer.unref();
  }
}

/** Runs a bookkeeping write (last used, last seen) whose failure must never fail the request. */
export async function bestEffort(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch {
    // A timestamp that could not be saved (disk full, say) is refreshed by the next request.
  }
}
