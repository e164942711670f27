/**
 * One log line per key per interval, with a count of what was held back. A client that
 * repeats a refused request 1,000 times a second, or a full disk failing every agent frame,
 * must not turn the console's log into the problem.
 */
export class LogThrottle {
  readonly #windows = new Map<string, { start: number; held: number; last: unknown }>();
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    /** Writes a line: `held` is how many like it were not written since the previous one. */
    private readonly write: (key: string, context: unknown, held: number) => void,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

  /** Writes now when the key had no line within the interval; otherwise counts it. */
  note(key: string, context: unknown): void {
    const t = this.now();
    const w = this.#windows.get(key);
    if (w && t - w.start < this.intervalMs) {
      w.held++;
      w.last = context;
      this.#arm();
      return;
    }
    this.#windows.set(key, { start: t, held: 0, last: context });
    if (this.#windows.size > this.maxKeys) this.flush();
    this.write(key, context, w?.held ?? 0);
  }

  /** Writes one summary line for each key that held lines back and whose interval passed. */
  flush(): void {
    const t = this.now();
    for (const [key, w] of this.#windows) {
      if (t - w.start < this.intervalMs) continue;
      this.#windows.delete(key);
      if (w.held > 0) this.write(key, w.last, w.held);
    }
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #arm(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.flush();
      if (this.#windows.size === 0) this.close();
    }, this.intervalMs);
    this.#timer.unref();
  }
}
