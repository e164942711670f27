import type { LogLine } from "./types";

/**
 * A job's log lines in seq order, without duplicates. Lines usually arrive in order (history,
 * then live), so appending is the fast path; a line older than the newest one (a reconnect
 * replaying history, or the polling fallback racing the stream) is placed by binary search
 * and dropped if already there.
 */
export class LogBuffer {
  readonly lines: LogLine[] = [];

  /** The highest seq held, -1 when empty. */
  get lastSeq(): number {
    return this.lines.at(-1)?.seq ?? -1;
  }

  /** Returns whether anything new was added. */
  add(batch: readonly LogLine[]): boolean {
    let added = false;
    for (const line of batch) {
      if (line.seq > this.lastSeq) {
        this.lines.push(line);
        added = true;
        continue;
      }
      let lo = 0;
      let hi = this.lines.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((this.lines[mid] as LogLine).seq < line.seq) lo = mid + 1;
        else hi = mid;
      }
      if (this.lines[lo]?.seq !== line.seq) {
        this.lines.splice(lo, 0, line);
        added = true;
      }
    }
    return added;
  }
}
