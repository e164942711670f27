/**
 * The one shape of every list the API answers: `{ items, nextCursor }`, plus `total` where it
 * is cheap. Pass `nextCursor` back as `cursor` for the next page; null means there is none.
 * Cursors are opaque: a script keeps them, it never builds them.
 */
import { z } from "zod";

export const ZCursor = z.string().max(2048, "This page cursor is not one the console gave out.");

/** A page of `item`, with `total` when the list can count cheaply. */
export function ZPage<Item extends z.ZodType>(item: Item) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}
export function ZCountedPage<Item extends z.ZodType>(item: Item) {
  return ZPage(item).extend({ total: z.number().int() });
}

/** A list that is never paged (a host's groups or schedules, the users): all of it, counted. */
export function wholeList<T>(items: T[]): { items: T[]; nextCursor: null; total: number } {
  return { items, nextCursor: null, total: items.length };
}

export const ZOk = z.object({ ok: z.literal(true) });
