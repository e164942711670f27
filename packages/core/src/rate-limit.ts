/**
 * Fixed-window failure counter per key, in memory. One server process serves the console,
 * so memory is the right place; a restart forgets the counts, which only helps a real user.
 */
export class RateLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds the caller must wait before another attempt counts, or 0 when it may go ahead. */
  retryAfter(key: string): number {
    const w = this.#current(key);
    if (!w || w.count < this.limit) return 0;
    return Math.max(1, Math.ceil((w.start + this.windowMs - this.now()) / 1000));
  }

  /** Records one attempt against the key. */
  hit(key: string): void {
    const t = this.now();
    let w = this.#current(key);
    if (!w) {
      w = { start: t, count: 0 };
      this.#windows.set(key, w);
    }
    w.count++;
    if (this.#windows.size > 10_000) this.#sweep(t);
  }

  reset(key: string): void {
    this.#windows.delete(key);
  }

  #current(key: string) {
    const w = this.#windows.get(key);
    if (w && this.now() - w.start >= this.windowMs) {
      this.#windows.delete(key);
      return undefined;
    }
    return w;
  }

  #sweep(t: number): void {
    for (const [k, w] of this.#windows) if (t - w.start >= this.windowMs) this.#windows.delete(k);
  }
}
