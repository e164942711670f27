/**
 * Reads that every open dashboard polls, answered once per short window for all callers.
 *
 * The fleet tiles, the host list pages and the job list are the same for every signed-in user
 * (no per-user filtering), and twenty dashboards refreshing every few seconds would otherwise
 * run twenty identical queries and serialise twenty identical answers back to back on the one
 * thread SQLite runs on (benchmark B6). Here identical reads within `ttlMs` share one query and
 * one superjson encoding (see transformer.ts); concurrent identical reads wait for the one in
 * flight. Changes a user makes (enrolment, revocation, settings, job status) drop the kept
 * answers of their area at once; agent heartbeats and connects age out within the window.
 * Only for answers that do not depend on who asks.
 */
import { type Core, type DomainEvents, SharedRead } from "@restic-manager/core";
import { shareSerialization } from "./transformer.js";

/** Distinct inputs kept per console (searches, pages); the oldest is dropped past this. */
const MAX_KEYS = 256;

type Area = "hosts" | "jobs";

/** Which kept answers an event makes stale. */
const STALE_ON: { [K in keyof DomainEvents]?: Area[] } = {
  "host.enrolled": ["hosts"],
  "host.revoked": ["hosts", "jobs"],
  "host.status": ["hosts"],
  "host.changed": ["hosts"],
  "host.schedules_changed": ["hosts"],
  "host.credentials_changed": ["hosts"],
  "host.snapshots": ["hosts"],
  "job.updated": ["hosts", "jobs"],
};

const caches = new WeakMap<Core, Map<string, SharedRead<object>>>();

function cacheOf(core: Core): Map<string, SharedRead<object>> {
  let cache = caches.get(core);
  if (!cache) {
    const kept = new Map<string, SharedRead<object>>();
    for (const [event, areas] of Object.entries(STALE_ON) as [keyof DomainEvents, Area[]][]) {
      core.events.on(event, () => {
        for (const key of kept.keys()) if (areas.some((a) => key.startsWith(`${a}.`))) kept.delete(key);
      });
    }
    caches.set(core, kept);
    cache = kept;
  }
  return cache;
}

/** `compute()`'s answer for `name` + `input`, shared by every caller within `ttlMs`. */
export function sharedRead<T extends object>(
  core: Core,
  name: `${Area}.${string}`,
  input: unknown,
  ttlMs: number,
  compute: () => Promise<T>,
): Promise<T> {
  const cache = cacheOf(core);
  const key = `${name}:${JSON.stringify(input ?? null)}`;
  let read = cache.get(key);
  if (!read) {
    if (cache.size >= MAX_KEYS) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    read = new SharedRead<object>(async () => shareSerialization(await compute()), ttlMs);
    cache.set(key, read);
  }
  return read.get() as Promise<T>;
}
