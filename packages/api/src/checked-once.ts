/**
 * Output validation for answers shared between callers (shared-reads.ts). tRPC runs a
 * procedure's output schema on every call, and a zod parse both walks every row of a 200-host
 * page again and returns a copy, which would defeat the one shared superjson encoding of that
 * answer (transformer.ts, benchmark B6). This validates each answer object once, the first time
 * it is served, and passes the same object through. It does not strip unknown keys; the service's
 * return type is checked against the schema at compile time instead.
 */
import { z } from "zod";

export function checkedOnce<S extends z.ZodType>(schema: S) {
  const checked = new WeakSet<object>();
  return z.custom<z.output<S>>((value) => {
    if (typeof value !== "object" || value === null) return schema.safeParse(value).success;
    if (checked.has(value)) return true;
    schema.parse(value); // a mismatch is a bug: fail with zod's account of it
    checked.add(value);
    return true;
  });
}
