import { describe, expect, it } from "vitest";
import { SharedRead } from "../src/read-cache.js";

describe("SharedRead", () => {
  it("gives concurrent callers one computation and reuses it until the ttl passes", async () => {
    let now = 1_000;
    let calls = 0;
    const read = new SharedRead(
      async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 5));
        return calls;
      },
      2_000,
      () => now,
    );
    expect(await Promise.all([read.get(), read.get(), read.get()])).toEqual([1, 1, 1]);
    now += 1_999;
    expect(await read.get()).toBe(1);
    now += 1;
    expect(await read.get()).toBe(2);
    read.invalidate();
    expect(await read.get()).toBe(3);
  });

  it("does not keep a failure: the next caller tries again", async () => {
    let fail = true;
    const read = new SharedRead(async () => {
      if (fail) throw new Error("database is closing");
      return "ok";
    }, 60_000);
    await expect(Promise.all([read.get(), read.get()])).rejects.toThrow("database is closing");
    fail = false;
    expect(await read.get()).toBe("ok");
  });
});
