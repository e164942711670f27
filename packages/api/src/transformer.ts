/**
 * superjson, once per shared object. A live job with 200 viewers yields the same batch of log
 * lines to every one of them; superjson walks every value of it to find Dates and the like,
 * and doing that 200 times per batch was what pinned the console's CPU in the fan-out
 * benchmark (B5). Objects passed through `shareSerialization` are walked once and the result
 * is reused by every stream that yields them; anything else is serialised as usual. Only
 * values that are never mutated afterwards may be shared (stream events built from a bus event).
 */
import superjson from "superjson";

type Serialized = ReturnType<typeof superjson.serialize>;

const shared = new WeakMap<object, Serialized | null>();

/** Marks `value` as immutable from now on, so its serialisation can be reused. */
export function shareSerialization<T extends object>(value: T): T {
  if (!shared.has(value)) shared.set(value, null);
  return value;
}

export const transformer = {
  serialize(value: unknown): Serialized {
    if (typeof value !== "object" || value === null || !shared.has(value)) return superjson.serialize(value);
    let out = shared.get(value);
    if (!out) {
      out = superjson.serialize(value);
      shared.set(value, out);
    }
    return out;
  },
  deserialize: <T>(value: Serialized): T => superjson.deserialize<T>(value),
};
