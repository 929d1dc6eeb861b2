/**
 * staleIfError({ freshMs, maxStaleMs }): a cache for a degradable read. A
 * fresh entry answers without calling the dependency; otherwise the load
 * runs, and if it fails an entry up to maxStaleMs old is served, marked stale.
 */
import { type Clock, systemClock } from './context.ts';
import { createEmitter } from './events.ts';

export interface Cached<V> {
  value: V;
  /** when the value was loaded (clock ms) */
  loadedAt: number;
  stale: boolean;
}

export interface StaleIfErrorOptions {
  freshMs?: number;
  maxStaleMs: number;
  maxEntries?: number;
  clock?: Clock;
  /** which failures may be answered from the cache (default: all); e.g. not "unknown SKU" */
  serveStaleOn?: (error: unknown) => boolean;
}

export function staleIfError<K, V>(options: StaleIfErrorOptions) {
  const clock = options.clock ?? systemClock;
  const freshMs = options.freshMs ?? 0;
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<K, { value: V; loadedAt: number }>();
  const onStaleServed = createEmitter<{ key: K; ageMs: number; error: unknown }>();
  const loading = new Map<K, Promise<V>>();
  /** concurrent misses of one key share one load */
  const loadOnce = (key: K, load: () => Promise<V>) => {
    let pending = loading.get(key);
    if (!pending) {
      pending = load().finally(() => loading.delete(key));
      loading.set(key, pending);
    }
    return pending;
  };

  return {
    async get(key: K, load: () => Promise<V>): Promise<Cached<V>> {
      const entry = entries.get(key);
      const now = clock.now();
      if (entry && now - entry.loadedAt < freshMs) return { ...entry, stale: false };
      try {
        const value = await loadOnce(key, load);
        if (!entries.has(key) && entries.size >= maxEntries) entries.delete(entries.keys().next().value as K);
        const loaded = { value, loadedAt: clock.now() };
        entries.set(key, loaded);
        return { ...loaded, stale: false };
      } catch (error) {
        if (
          entry &&
          clock.now() - entry.loadedAt <= options.maxStaleMs &&
          (options.serveStaleOn?.(error) ?? true)
        ) {
          onStaleServed.emit({ key, ageMs: clock.now() - entry.loadedAt, error });
          return { ...entry, stale: true };
        }
        throw error;
      }
    },
    /** forget a key (e.g. the dependency said it no longer exists) */
    delete: (key: K) => entries.delete(key),
    size: () => entries.size,
    onStaleServed: onStaleServed.event,
  };
}
