import { describe, expect, it } from "vitest";
import { LogBuffer } from "./log-buffer";
import type { LogLine } from "./types";

const line = (seq: number): LogLine => ({ seq, at: seq, stream: "stdout", line: `line ${seq}` });
const seqs = (buffer: LogBuffer) => buffer.lines.map((l) => l.seq);

describe("LogBuffer", () => {
  it("appends in order", () => {
    const buffer = new LogBuffer();
    expect(buffer.add([line(0), line(1)])).toBe(true);
    expect(buffer.add([line(2)])).toBe(true);
    expect(seqs(buffer)).toEqual([0, 1, 2]);
    expect(buffer.lastSeq).toBe(2);
  });

  it("drops lines it already holds, as when a reconnect replays the history", () => {
    const buffer = new LogBuffer();
    buffer.add([line(0), line(1), line(2)]);
    expect(buffer.add([line(0), line(1), line(2)])).toBe(false);
    expect(buffer.add([line(1), line(2), line(3)])).toBe(true);
    expect(seqs(buffer)).toEqual([0, 1, 2, 3]);
  });

  it("fills a gap in the right place", () => {
    const buffer = new LogBuffer();
    buffer.add([line(0), line(1), line(5), line(6)]);
    buffer.add([line(3), line(2), line(4)]);
    expect(seqs(buffer)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });
});
