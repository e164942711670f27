/**
 * `jobs.watch`: the tRPC adapter of the core's job feed (the same feed the job page's SSE
 * endpoint adapts). Real SQLite, the real ingest; the subscription is read as scripts read it.
 */
import { hosts, jobs, newId } from "@restic-manager/db";
import type { AgentMessage } from "@restic-manager/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter, createCallerFactory, type JobFeedEvent } from "../src/index.js";
import { ctxFor, openTestCore } from "./helpers/context.js";

type Core = Awaited<ReturnType<typeof openTestCore>>["core"];
let core: Core;
let close: () => void;
const hostId = newId();
const viewer = { id: "v", username: "viewer", role: "viewer" as const };

beforeAll(async () => {
  ({ core, close } = await openTestCore("rm-watch-"));
  await core.db.insert(hosts).values({ id: hostId, name: "web-01", status: "online" });
});
afterAll(() => close());

async function runningJob(): Promise<string> {
  const id = newId();
  await core.db.insert(jobs).values({
    id,
    hostId,
    kind: "backup",
    status: "running",
    actor: "user:v",
    actorName: "viewer",
    createdAt: new Date(),
  });
  return id;
}

let seq = 0;
const logFrame = (jobId: string, from: number, n: number) =>
  ({
    type: "log.stream",
    payload: {
      jobId,
      seq: ++seq,
      at: Date.now(),
      lineOffset: from,
      lines: Array.from({ length: n }, (_, i) => ({ at: Date.now(), stream: "stdout", line: `line ${from + i}` })),
    },
  }) as Extract<AgentMessage, { type: "log.stream" }>;

async function watch(jobId: string, signal: AbortSignal) {
  const caller = createCallerFactory(appRouter)(ctxFor(core, viewer), { signal });
  return (await caller.jobs.watch({ jobId })) as AsyncIterable<JobFeedEvent>;
}

describe("jobs.watch", () => {
  it("sends the job, the log so far, then live lines and status, each line once", async () => {
    const jobId = await runningJob();
    await core.jobEvents.apply(hostId, logFrame(jobId, 0, 3));
    const abort = new AbortController();
    const events = (await watch(jobId, abort.signal))[Symbol.asyncIterator]();
    const first = await events.next();
    expect(first.value).toMatchObject({ type: "job", data: { id: jobId, status: "running" } });
    const history = await events.next();
    expect(history.value).toMatchObject({ type: "logs" });
    const lines: number[] = (history.value as Extract<JobFeedEvent, { type: "logs" }>).data.map((l) => l.seq);
    await core.jobEvents.apply(hostId, logFrame(jobId, 3, 2));
    const live = await events.next();
    for (const l of (live.value as Extract<JobFeedEvent, { type: "logs" }>).data) lines.push(l.seq);
    expect(lines).toEqual([0, 1, 2, 3, 4]);
    abort.abort();
  });

  it("catches a subscriber that stopped reading up from the database, without gaps or repeats", async () => {
    const jobId = await runningJob();
    const abort = new AbortController();
    const events = (await watch(jobId, abort.signal))[Symbol.asyncIterator]();
    expect((await events.next()).value).toMatchObject({ type: "job" });
    // 300 frames while the subscriber reads nothing: far past its queue of 64 events.
    for (let i = 0; i < 300; i++) await core.jobEvents.apply(hostId, logFrame(jobId, i * 10, 10));
    const seen: number[] = [];
    while (seen.length < 3000) {
      const next = await events.next();
      const event = next.value as JobFeedEvent;
      if (event.type === "logs") for (const l of event.data) seen.push(l.seq);
    }
    expect(seen).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    abort.abort();
  });

  it("refuses an unknown job before streaming anything", async () => {
    const abort = new AbortController();
    const events = (await watch(newId(), abort.signal))[Symbol.asyncIterator]();
    await expect(events.next()).rejects.toThrow(/No such job/);
  });
});
