import { randomBytes } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * A ULID: 48 bits of milliseconds then 80 random bits, Crockford base32, 26 characters.
 * Sorts by creation time, so "newest first" is an index scan on the primary key.
 */
export function newId(now: number = Date.now()): string {
  const time = encodeTime(now);
  const bytes = randomBytes(16);
  let rand = "";
  for (let i = 0; i < 16; i++) rand += CROCKFORD[(bytes[i] ?? 0) % 32];
  return time + rand;
}

/** The smallest ULID of a millisecond: `id >= idFloor(t)` selects rows created at or after t by primary key. */
export function idFloor(time: number): string {
  return `${encodeTime(time)}${"0".repeat(16)}`;
}

/** The millisecond a ULID was made in (its first 10 characters); NaN for something else. */
export function idTime(id: string): number {
  let t = 0;
  for (let i = 0; i < 10; i++) {
    const digit = CROCKFORD.indexOf(id[i] ?? "");
    if (digit < 0) return Number.NaN;
    t = t * 32 + digit;
  }
  return t;
}

/** The 10-character time part of a ULID. */
function encodeTime(ms: number): string {
  let out = "";
  let t = ms;
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}
