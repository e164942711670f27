import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CLOSE_CODES,
  closeCodeFor,
  createAgentMessage,
  createServerMessage,
  MAX_FRAME_BYTES,
  type ParseRejection,
  parseAgentMessage,
  parseServerMessage,
} from "../src/index.js";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");
const hello = JSON.parse(fixture("agent.hello.json"));

function expectRejected(raw: Parameters<typeof parseAgentMessage>[0], reason: ParseRejection) {
  const result = parseAgentMessage(raw);
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.reason).toBe(reason);
    expect(result.detail.length).toBeGreaterThan(0);
  }
  return result;
}

describe("parse rejections", () => {
  it("bad JSON", () => {
    expectRejected("{", "invalid_json");
    expectRejected("", "invalid_json");
    expectRejected("hello", "invalid_json");
    expectRejected('{"type":"hello",}', "invalid_json");
  });

  it("JSON that is not an object", () => {
    for (const raw of ["null", "42", '"hello"', "[]", '[{"type":"hello"}]', "true"]) {
      expectRejected(raw, "invalid_message");
    }
  });

  it("missing or unknown type", () => {
    expectRejected('{"payload":{}}', "invalid_message");
    expectRejected('{"type":7,"payload":{}}', "invalid_message");
    expectRejected('{"type":"hello.ok","payload":{}}', "unknown_type");
    expectRejected('{"type":"rm -rf","payload":{}}', "unknown_type");
    expect(parseServerMessage('{"type":"hello","payload":{}}')).toMatchObject({ ok: false, reason: "unknown_type" });
  });

  it("wrong field types name the field", () => {
    const bad = { ...hello, payload: { ...hello.payload, protocolVersion: "1" } };
    const result = expectRejected(JSON.stringify(bad), "invalid_message");
    if (!result.ok) expect(result.detail).toContain("payload.protocolVersion");
    expectRejected(JSON.stringify({ ...hello, payload: { ...hello.payload, os: "plan9" } }), "invalid_message");
    expectRejected(JSON.stringify({ type: "hello" }), "invalid_message");
    expectRejected(JSON.stringify({ ...hello, payload: { ...hello.payload, restic: null } }), "invalid_message");
    expectRejected(
      JSON.stringify({ type: "job.progress", payload: { jobId: "j", seq: 0, at: 1, percent: 1 } }),
      "invalid_message",
    );
  });

  it("strings are bounded and NUL-free", () => {
    expectRejected(
      JSON.stringify({ ...hello, payload: { ...hello.payload, hostname: "h".repeat(256) } }),
      "invalid_message",
    );
    expectRejected(
      JSON.stringify({ ...hello, payload: { ...hello.payload, hostname: "a\u0000b" } }),
      "invalid_message",
    );
    expectRejected(JSON.stringify({ ...hello, payload: { ...hello.payload, hostname: "" } }), "invalid_message");
  });

  it("backup paths and tags can never become restic flags", () => {
    const run = JSON.parse(fixture("server.command.run.backup.json"));
    for (const params of [
      { ...run.payload.params, paths: ["--password-command=sh"] },
      { ...run.payload.params, tags: ["-x"] },
      { ...run.payload.params, paths: [] },
    ]) {
      const result = parseServerMessage(JSON.stringify({ ...run, payload: { ...run.payload, params } }));
      expect(result).toMatchObject({ ok: false, reason: "invalid_message" });
    }
    // A backup command with restore params is rejected: params are checked per kind.
    const restore = JSON.parse(fixture("server.command.run.restore.json"));
    const mixed = { ...run, payload: { ...run.payload, params: restore.payload.params } };
    expect(parseServerMessage(JSON.stringify(mixed))).toMatchObject({ ok: false, reason: "invalid_message" });
  });

  it("__proto__ and prototype keys are refused and pollute nothing", () => {
    const raw = `{"type":"hello","payload":${JSON.stringify(hello.payload).replace("{", '{"__proto__":{"polluted":true},')}}`;
    const result = expectRejected(raw, "invalid_message");
    if (!result.ok) expect(result.detail).toContain("__proto__");
    expectRejected(
      '{"__proto__":{"type":"hello"},"type":"heartbeat","payload":{"at":1,"runningJobIds":[]}}',
      "invalid_message",
    );
    expectRejected(
      '{"type":"rpc.request","payload":{"id":"1","method":"x","params":{"constructor":{"prototype":{"polluted":true}}}}}',
      "invalid_message",
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("polluted");
  });

  it("a frame of MAX_FRAME_BYTES + 1 is too large, as string and as bytes", () => {
    const padding = " ".repeat(MAX_FRAME_BYTES + 1 - JSON.stringify(hello).length);
    const raw = JSON.stringify(hello) + padding;
    expect(Buffer.byteLength(raw)).toBe(MAX_FRAME_BYTES + 1);
    expectRejected(raw, "too_large");
    expectRejected(Buffer.from(raw), "too_large");
    expectRejected([Buffer.from(raw.slice(0, 10)), Buffer.from(raw.slice(10))], "too_large");
    // Multi-byte characters count as bytes, not UTF-16 units.
    expectRejected(`"${"é".repeat(MAX_FRAME_BYTES / 2)}"`, "too_large");
    // Exactly at the limit is fine (as far as size goes).
    expect(parseAgentMessage(JSON.stringify(hello) + padding.slice(1)).ok).toBe(true);
  });

  it("10,000 levels of nesting are refused without blowing the stack", () => {
    expectRejected(`${"[".repeat(10_000)}${"]".repeat(10_000)}`, "too_deep");
    const deepParams = `${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}`;
    expectRejected(`{"type":"rpc.request","payload":{"id":"1","method":"x","params":${deepParams}}}`, "too_deep");
    // Brackets inside strings do not count.
    const inString = { type: "rpc.request", payload: { id: "1", method: "x", params: "[".repeat(10_000) } };
    expect(parseAgentMessage(JSON.stringify(inString)).ok).toBe(true);
  });

  it("accepts bytes, ArrayBuffer and fragments, and refuses invalid UTF-8", () => {
    const raw = JSON.stringify(hello);
    expect(parseAgentMessage(Buffer.from(raw)).ok).toBe(true);
    expect(parseAgentMessage(new TextEncoder().encode(raw).buffer as ArrayBuffer).ok).toBe(true);
    expect(parseAgentMessage([Buffer.from(raw.slice(0, 7)), Buffer.from(raw.slice(7))]).ok).toBe(true);
    expectRejected(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), "invalid_json");
  });

  it("maps reasons to close codes", () => {
    expect(closeCodeFor("too_large")).toBe(CLOSE_CODES.TOO_BIG);
    expect(closeCodeFor("invalid_json")).toBe(1007);
    expect(closeCodeFor("invalid_message")).toBe(1008);
    expect(closeCodeFor("unknown_type")).toBe(1008);
    expect(closeCodeFor("too_deep")).toBe(1008);
  });

  it("unknown payload fields are dropped (additive changes need no version bump)", () => {
    const extended = { ...hello, payload: { ...hello.payload, futureField: { x: 1 } } };
    const result = parseAgentMessage(JSON.stringify(extended));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.message.payload).not.toHaveProperty("futureField");
  });
});

describe("create helpers", () => {
  it("refuse to serialise an invalid payload", () => {
    expect(() => createAgentMessage("heartbeat", { at: -1, runningJobIds: [] })).toThrow();
    expect(() => createServerMessage("job.ack", { jobId: "", seq: 1 })).toThrow();
  });
  it("round-trip through the parser", () => {
    const wire = createServerMessage("job.ack", { jobId: "j1", seq: 9 });
    expect(parseServerMessage(wire)).toEqual({
      ok: true,
      message: { type: "job.ack", payload: { jobId: "j1", seq: 9 } },
    });
  });
});

describe("fuzz: the parsers never throw", () => {
  // Deterministic PRNG so a failure reproduces.
  function mulberry32(seed: number) {
    let a = seed;
    return () => {
      a |= 0;
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const rand = mulberry32(0x5eed);
  const int = (n: number) => Math.floor(rand() * n);
  const seeds = [
    "agent.hello.json",
    "agent.log.stream.json",
    "agent.job.finished.json",
    "server.command.run.backup.json",
    "server.config.update.json",
    "agent.rpc.response.json",
  ].map((f) => Buffer.from(fixture(f)));
  const alphabet = Buffer.from('{}[]":,\\0123456789-.eE truefalsnul__proto__type');

  it("survives 4,000 random byte strings and 4,000 mutated fixtures", () => {
    let accepted = 0;
    const check = (frame: Buffer) => {
      for (const parse of [parseAgentMessage, parseServerMessage]) {
        let result: ReturnType<typeof parse> | undefined;
        expect(() => {
          result = parse(frame);
        }).not.toThrow();
        expect(typeof result?.ok).toBe("boolean");
        if (result?.ok) accepted++;
        else
          expect(["too_large", "invalid_json", "too_deep", "unknown_type", "invalid_message"]).toContain(
            result?.reason,
          );
      }
    };
    for (let i = 0; i < 4000; i++) {
      const bytes = Buffer.alloc(int(256));
      for (let j = 0; j < bytes.length; j++) bytes[j] = rand() < 0.5 ? int(256) : alphabet[int(alphabet.length)]!;
      check(bytes);
    }
    for (let i = 0; i < 4000; i++) {
      const frame = Buffer.from(seeds[int(seeds.length)]!);
      const edits = 1 + int(4);
      for (let e = 0; e < edits; e++) {
        const at = int(frame.length);
        frame[at] = rand() < 0.5 ? int(256) : alphabet[int(alphabet.length)]!;
      }
      check(rand() < 0.1 ? frame.subarray(0, int(frame.length)) : frame);
    }
    // Some mutations (e.g. inside a string value) stay valid; most do not.
    expect(accepted).toBeLessThan(8000);
  });
});
