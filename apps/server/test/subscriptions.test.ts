import { afterEach, describe, expect, it } from "vitest";
import { bootServer, createEnrollment, enroll, removeDir, signedInAdmin, type TestServer } from "./harness.js";

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    await s.close();
    removeDir(s.dataDir);
  }
});

/** Reads server-sent events from a tRPC subscription until `until` matches one of them. */
async function readEvents(url: string, cookie: string, until: (data: string) => boolean, trigger: () => Promise<void>) {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { cookie, accept: "text/event-stream" }, signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const seen: string[] = [];
  let buffer = "";
  let triggered = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    // tRPC also sends a `connected` event and pings; keep the data events that carry results.
    for (const line of buffer.split("\n")) if (line.startsWith('data: {"')) seen.push(line.slice(6));
    buffer = buffer.slice(buffer.lastIndexOf("\n") + 1);
    if (!triggered && seen.length > 0) {
      triggered = true;
      await trigger();
    }
    if (seen.some(until)) break;
  }
  controller.abort();
  return seen;
}

describe("live data over SSE", () => {
  it("enrollment.watch streams the token's status, then the enrolment as it happens", async () => {
    const server = await bootServer();
    servers.push(server);
    const admin = await signedInAdmin(server);
    const { id, token } = await createEnrollment(admin, "sse-host");
    const input = encodeURIComponent(JSON.stringify({ json: { id } }));
    const events = await readEvents(
      `${server.listenUrl}/trpc/enrollment.watch?input=${input}`,
      admin.cookie ?? "",
      (data) => data.includes('"consumedAt":') && !data.includes('"consumedAt":null'),
      async () => {
        expect((await enroll(server.listenUrl, token)).status).toBe(200);
      },
    );
    expect(events[0]).toContain('"hostname":"sse-host"');
    expect(events[0]).toContain('"consumedAt":null');
    expect(events.at(-1)).toMatch(/"hostId":"[0-9A-Z]{26}"/);
  });

  it("refuses a subscription without a session", async () => {
    const server = await bootServer();
    servers.push(server);
    const input = encodeURIComponent(JSON.stringify({ json: { id: "x" } }));
    const res = await fetch(`${server.listenUrl}/trpc/enrollment.watch?input=${input}`);
    const text = await res.text();
    expect(text).toMatch(/UNAUTHORIZED|Sign in/);
    expect(text).not.toContain("hostname");
  });
});
