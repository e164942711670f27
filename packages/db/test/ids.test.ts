import { describe, expect, it } from "vitest";
import { idFloor, idTime, newId } from "../src/index.js";

describe("ULIDs", () => {
  it("sort by creation time, and idFloor(t) bounds the ids of t from below", () => {
    const t = Date.parse("2026-11-25T12:00:00.123Z");
    const ids = [newId(t - 1), newId(t), newId(t), newId(t + 1)];
    expect(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true);
    const [before = "", at = "", atToo = "", after = ""] = ids;
    expect([before < idFloor(t), at >= idFloor(t), atToo < idFloor(t + 1), after >= idFloor(t + 1)]).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it("give back the millisecond they were made in", () => {
    const t = Date.parse("2031-02-03T04:05:06.789Z");
    expect(idTime(newId(t))).toBe(t);
    expect(idTime(idFloor(t))).toBe(t);
    expect(idTime("not-a-ulid")).toBeNaN();
  });
});
