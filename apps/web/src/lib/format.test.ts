import { describe, expect, it } from "vitest";
import { formatAgo, formatClock } from "./format";

describe("formatAgo", () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  it("counts seconds under a minute", () => {
    expect(formatAgo(new Date(now - 12_000), now)).toBe("12 s ago");
    expect(formatAgo(new Date(now - 59_000), now)).toBe("59 s ago");
  });
  it("reads a server clock slightly ahead as just now", () => {
    expect(formatAgo(new Date(now), now)).toBe("just now");
    expect(formatAgo(new Date(now + 3_000), now)).toBe("just now");
  });
  it("falls back to the relative format past a minute, and a dash for nothing", () => {
    expect(formatAgo(new Date(now - 5 * 60_000), now)).toMatch(/5 min/);
    expect(formatAgo(null, now)).toBe("—");
  });
});

describe("formatClock", () => {
  it("is HH:MM, 24-hour", () => {
    expect(formatClock(new Date(2026, 0, 1, 19, 5))).toBe("19:05");
    expect(formatClock(new Date(2026, 0, 1, 7, 45))).toBe("07:45");
    expect(formatClock(null)).toBe("—");
  });
});
