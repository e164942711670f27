/**
 * Reconnect delays: exponential from `baseMs` doubling to `maxMs`, with full jitter (a uniform
 * draw in [0, cap]) so a fleet that lost the server at once does not come back at once.
 */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  random?: () => number;
}

export class Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 1_000;
    this.maxMs = options.maxMs ?? 60_000;
    this.#random = options.random ?? Math.random;
  }

  get attempt(): number {
    return this.#attempt;
  }

  /** Upper bound of the next delay: base * 2^attempt, capped. */
  ceiling(attempt = this.#attempt): number {
    // 2^attempt overflows to Infinity long after it passed the cap; Math.min handles that.
    return Math.min(this.maxMs, this.baseMs * 2 ** attempt);
  }

  next(): number {
    const delay = Math.floor(this.#random() * this.ceiling());
    this.#attempt = Math.min(this.#attempt + 1, 64);
    return delay;
  }

  reset(): void {
    this.#attempt = 0;
  }
}
