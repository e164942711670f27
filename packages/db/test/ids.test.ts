import { describe, expect, it } from "vitest";
import { idFloor, newId } from "../src/index.js";

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
});
