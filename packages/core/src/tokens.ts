import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A random bearer-style token: `<prefix>_<base64url of `bytes` random bytes>`. */
export function generateToken(prefix: string, bytes = 32): string {
  return `${prefix}_${randomBytes(bytes).toString("base64url")}`;
}

/** Tokens are high-entropy, so a fast hash is enough to store and look them up. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
