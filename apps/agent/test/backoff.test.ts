import { describe, expect, it } from "vitest";
import { Backoff } from "../src/backoff.js";

describe("Backoff", () => {
  it("doubles its ceiling from 1 s and caps it at 60 s", () => {
    const backoff = new Backoff({ random: () => 0.999999 });
    const delays = Array.from({ length: 10 }, () => backoff.next());
    expect(delays).toEqual([999, 1999, 3999, 7999, 15999, 31999, 59999, 59999, 59999, 59999]);
  });

  it("draws full jitter in [0, ceiling)", () => {
    const low = new Backoff({ random: () => 0 });
    expect([low.next(), low.next(), low.next()]).toEqual([0, 0, 0]);

    const backoff = new Backoff();
    for (let attempt = 0; attempt < 200; attempt++) {
      const ceiling = backoff.ceiling();
      const delay = backoff.next();
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(ceiling);
      expect(ceiling).toBeLessThanOrEqual(60_000);
    }
    // Jitter spreads a fleet: 100 agents at the cap do not pick one delay.
    const fleet = new Set(
      Array.from({ length: 100 }, () => {
        const b = new Backoff();
        for (let i = 0; i < 10; i++) b.next();
        return b.next();
      }),
    );
    expect(fleet.size).toBeGreaterThan(90);
  });

  it("starts over after reset", () => {
    const backoff = new Backoff({ random: () => 0.5 });
    for (let i = 0; i < 8; i++) backoff.next();
    expect(backoff.ceiling()).toBe(60_000);
    backoff.reset();
    expect(backoff.attempt).toBe(0);
    expect(backoff.next()).toBe(500);
  });

  it("survives thousands of attempts without overflowing", () => {
    const backoff = new Backoff({ random: () => 0.5 });
    for (let i = 0; i < 5000; i++) backoff.next();
    expect(backoff.next()).toBe(30_000);
  });

  it("honours custom bounds", () => {
    const backoff = new Backoff({ baseMs: 10, maxMs: 25, random: () => 0.999999 });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([9, 19, 24]);
  });
});
