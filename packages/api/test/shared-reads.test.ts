import { type Core, EventBus } from "@restic-manager/core";
import { describe, expect, it } from "vitest";
import { sharedRead } from "../src/shared-reads.js";
import { transformer } from "../src/transformer.js";

const fakeCore = () => ({ events: new EventBus() }) as unknown as Core;

describe("sharedRead", () => {
  it("answers identical reads within the window with one query and one encoding", async () => {
    const core = fakeCore();
    let queries = 0;
    const compute = async () => ({ n: ++queries, at: new Date(0) });
    const [a, b] = await Promise.all([
      sharedRead(core, "hosts.list", { limit: 50 }, 60_000, compute),
      sharedRead(core, "hosts.list", { limit: 50 }, 60_000, compute),
    ]);
    expect(queries).toBe(1);
    expect(a).toBe(b);
    expect(transformer.serialize(a)).toBe(transformer.serialize(b));
    // Another input is another read.
    await sharedRead(core, "hosts.list", { limit: 10 }, 60_000, compute);
    expect(queries).toBe(2);
  });

  it("drops kept answers when something in their area changes, and keeps consoles apart", async () => {
    const core = fakeCore();
    let queries = 0;
    const compute = async () => ({ n: ++queries });
    await sharedRead(core, "jobs.list", {}, 60_000, compute);
    await sharedRead(core, "hosts.summary", null, 60_000, compute);
    core.events.emit("host.enrolled", { hostId: "h", enrollmentTokenId: "t" });
    expect((await sharedRead(core, "jobs.list", {}, 60_000, compute)).n).toBe(1);
    expect((await sharedRead(core, "hosts.summary", null, 60_000, compute)).n).toBe(3);
    core.events.emit("job.updated", { jobId: "j", hostId: "h", status: "succeeded" });
    expect((await sharedRead(core, "jobs.list", {}, 60_000, compute)).n).toBe(4);

    const other = fakeCore();
    expect((await sharedRead(other, "jobs.list", {}, 60_000, compute)).n).toBe(5);
  });
});
