import type { DomainEvents, EventBus } from "@restic-manager/core";

/**
 * Drives a live subscription: yields `load()` now, then again after any of the named domain
 * events (coalesced) or every `refreshMs`, until the client goes away.
 */
export async function* reloadOnEvents<T>(options: {
  bus: EventBus;
  events: (keyof DomainEvents)[];
  signal: AbortSignal | undefined;
  load: () => Promise<T>;
  refreshMs?: number;
}): AsyncGenerator<T> {
  const { bus, signal } = options;
  let dirty = false;
  let wake: (() => void) | null = null;
  const poke = () => {
    dirty = true;
    wake?.();
  };
  const offs = options.events.map((name) => bus.on(name, poke));
  signal?.addEventListener("abort", poke, { once: true });
  try {
    yield await options.load();
    while (!signal?.aborted) {
      if (!dirty) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, options.refreshMs ?? 30_000).unref();
        });
      }
      dirty = false;
      wake = null;
      if (signal?.aborted) break;
      yield await options.load();
    }
  } finally {
    for (const off of offs) off();
  }
}
