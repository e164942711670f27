/**
 * GET /api/jobs/:id/stream against a real server: history then live lines for every viewer, and
 * a viewer that stops reading while thousands of lines arrive gets all of them, in order, once it
 * reads again (caught up from the database), while the other viewer is never held up.
 */
import { hosts, jobs, newId } from "@restic-manager/db";
import type { AgentMessage } from "@restic-manager/protocol";
import superjson from "superjson";
import { afterEach, describe, expect, it } from "vitest";
import { bootServer, removeDir, signedInAdmin, type TestServer } from "./harness.js";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    await s.close();
    removeDir(s.dataDir);
  }
});

type Line = { seq: number; line: string };
type Event = { event: string; data: unknown };

/** An SSE reader that parses events as they come and can be paused (stops reading the socket). */
async function openStream(url: string, cookie: string) {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { cookie }, signal: controller.signal });
  const events: Event[] = [];
  let paused = false;
  let resume: (() => void) | null = null;
  const reading = (async () => {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      if (paused) await new Promise<void>((r) => (resume = r));
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const name = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (name && data) events.push({ event: name, data: superjson.parse(data) });
        end = buffer.indexOf("\n\n");
      }
    }
  })();
  const lines = () => events.filter((e) => e.event === "logs").flatMap((e) => e.data as Line[]);
  return {
    res,
    events,
    lines,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      resume?.();
    },
    close: async () => {
      controller.abort();
      await reading;
    },
  };
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const frame = (jobId: string, seq: number, from: number, n: number, width = 20) =>
  ({
    type: "log.stream",
    payload: {
      jobId,
      seq,
      lineOffset: from,
      lines: Array.from({ length: n }, (_, i) => ({
        at: Date.now(),
        stream: "stdout",
        line: `line ${from + i} ${"x".repeat(width)}`,
      })),
    },
  }) as Extract<AgentMessage, { type: "log.stream" }>;

async function runningJob(server: TestServer) {
  const hostId = newId();
  const jobId = newId();
  await server.core.db.insert(hosts).values({ id: hostId, name: "web-01", status: "online" });
  await server.core.db
    .insert(jobs)
    .values({ id: jobId, hostId, kind: "backup", status: "running", params: {}, actor: "user:test" });
  return { hostId, jobId };
}

describe("GET /api/jobs/:id/stream", () => {
  it("sends the job, its history and then live lines and progress to every viewer", async () => {
    const server = await bootServer();
    servers.push(server);
    const admin = await signedInAdmin(server);
    const { hostId, jobId } = await runningJob(server);
    await server.core.jobEvents.apply(hostId, frame(jobId, 1, 0, 3));
    const url = `${server.listenUrl}/api/jobs/${jobId}/stream`;
    const a = await openStream(url, admin.cookie ?? "");
    const b = await openStream(url, admin.cookie ?? "");
    expect(a.res.headers.get("content-type")).toContain("text/event-stream");
    await until(() => a.lines().length === 3 && b.lines().length === 3, "the history");
    expect(a.events[0]).toMatchObject({ event: "job", data: { id: jobId, status: "running" } });

    await server.core.jobEvents.apply(hostId, frame(jobId, 2, 3, 2));
    await server.core.jobEvents.apply(hostId, {
      type: "job.progress",
      payload: { jobId, seq: 3, percent: 55 },
    } as unknown as Extract<AgentMessage, { type: "job.progress" }>);
    // Each live batch was encoded once for both viewers.
    expect(server.jobStreams.stats.encoded).toBeLessThanOrEqual(2);
    for (const viewer of [a, b]) {
      await until(() => viewer.events.some((e) => e.event === "progress"), "progress");
      expect(viewer.lines().map((l) => l.seq)).toEqual([0, 1, 2, 3, 4]);
      expect(viewer.events.find((e) => e.event === "progress")?.data).toMatchObject({ percent: 55 });
    }
    await a.close();
    await b.close();
  });

  it("catches a viewer that stopped reading up from the database, without holding up the others", async () => {
    const server = await bootServer();
    servers.push(server);
    const admin = await signedInAdmin(server);
    const { hostId, jobId } = await runningJob(server);
    const url = `${server.listenUrl}/api/jobs/${jobId}/stream`;
    const slow = await openStream(url, admin.cookie ?? "");
    const fast = await openStream(url, admin.cookie ?? "");
    await until(() => slow.events.length > 0 && fast.events.length > 0, "both streams to open");
    slow.pause();

    // ~24 MB of lines while the slow viewer reads nothing: far more than its socket buffers hold.
    const total = 60_000;
    for (let seq = 1, from = 0; from < total; seq++, from += 500) {
      await server.core.jobEvents.apply(hostId, frame(jobId, seq, from, 500, 400));
    }
    await until(() => fast.lines().length === total, "the fast viewer to have every line");
    // The slow viewer's socket backed up and it was switched to catching up from the database.
    expect(server.jobStreams.stats.catchUps).toBeGreaterThan(2);

    slow.resume();
    await until(() => slow.lines().length >= total, "the slow viewer to catch up", 60_000);
    const seqs = slow.lines().map((l) => l.seq);
    expect(seqs).toHaveLength(total);
    expect(seqs.every((s, i) => s === i)).toBe(true);
    expect(fast.lines().every((l, i) => l.seq === i)).toBe(true);
    await slow.close();
    await fast.close();
  }, 120_000);

  it("answers a bad id, no session and an unknown job with clear errors", async () => {
    const server = await bootServer();
    servers.push(server);
    const admin = await signedInAdmin(server);
    expect((await fetch(`${server.listenUrl}/api/jobs/nope/stream`)).status).toBe(400);
    const unknown = newId();
    const anonymous = await fetch(`${server.listenUrl}/api/jobs/${unknown}/stream`);
    expect(anonymous.status).toBe(401);
    // The API's one error shape.
    expect(await anonymous.json()).toEqual({ error: { code: "unauthorized", message: "Sign in to follow a job." } });
    const missing = await fetch(`${server.listenUrl}/api/jobs/${unknown}/stream`, {
      headers: { cookie: admin.cookie ?? "" },
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: "not_found", message: "No such job." } });
  });
});
