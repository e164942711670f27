import { describe, expect, it } from "vitest";
import { formatAgo, formatBytes, formatClock, formatDuration } from "./format";

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

describe("formatBytes", () => {
  it("uses binary units like restic", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(15 * 1024 * 1024)).toBe("15.0 MiB");
    expect(formatBytes(300 * 1024 ** 3)).toBe("300 GiB");
    expect(formatBytes(null)).toBe("—");
  });
});

describe("formatDuration", () => {
  it("picks the two largest units", () => {
    expect(formatDuration(0.25)).toBe("250 ms");
    expect(formatDuration(42)).toBe("42 s");
    expect(formatDuration(185)).toBe("3 min 05 s");
    expect(formatDuration(7440)).toBe("2 h 04 min");
    expect(formatDuration(3 * 86400 + 7200)).toBe("3 d 2 h");
    expect(formatDuration(null)).toBe("—");
  });
});
