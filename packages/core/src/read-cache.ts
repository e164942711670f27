/**
 * A short-lived shared answer for an aggregate that many clients poll at once (the dashboard
 * tiles: every open dashboard asks every few seconds, and each answer walks every host and the
 * last day of jobs). Callers within `ttlMs` of a computed value get it; callers while one is
 * being computed wait for that one instead of starting another. A failed computation is not
 * kept. SQLite runs on the main thread, so without this N dashboards cost N walks back to back.
 */
export class SharedRead<T> {
  #value: { at: number; result: T } | null = null;
  #inFlight: Promise<T> | null = null;

  constructor(
    private readonly compute: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<T> {
    if (this.#value && this.now() - this.#value.at < this.ttlMs) return Promise.resolve(this.#value.result);
    if (this.#inFlight) return this.#inFlight;
    const started = this.now();
    this.#inFlight = this.compute()
      .then((result) => {
        this.#value = { at: started, result };
        return result;
      })
      .finally(() => {
        this.#inFlight = null;
      });
    return this.#inFlight;
  }

  /** Drops the kept value: the next get() computes afresh. */
  invalidate(): void {
    this.#value = null;
  }
}
