/**
 * staleIfError({ freshMs, maxStaleMs }): a cache for a degradable read. A
 * fresh entry answers without calling the dependency; otherwise the load
 * runs, and if it fails an entry up to maxStaleMs old is served, marked stale.
 * Use it alone (`get(key, load)`) or as the first member of a pipeline:
 * pipeline(cache, retry, timeout).execute(load, { key }) → Cached<V>.
 */
import { type Clock, type ExecContext, fullContext, systemClock, type Work } from './context.ts';
import { createEmitter, type Event } from './events.ts';

export interface Cached<V> {
  value: V;
  /** when the value was loaded (clock ms) */
  loadedAt: number;
  stale: boolean;
}

export interface StaleIfErrorOptions {
  /** an entry younger than this answers without a load */
  freshMs?: number;
  /** the oldest entry served when the load fails */
  maxStaleMs: number;
  /** entries kept; beyond that, the first inserted leaves */
  maxEntries?: number;
  /** the time source (default: the system clock) */
  clock?: Clock;
  /** which failures may be answered from the cache (default: all); e.g. not "no such item" */
  serveStaleOn?: (error: unknown) => boolean;
}

/** A pipeline that answers a cached entry for the `key` in its context. */
export interface KeyedPolicy<K, V> {
  execute(work: Work<V>, context: Partial<ExecContext> & { key: K }): Promise<Cached<V>>;
}

export interface StaleIfError<K, V> extends KeyedPolicy<K, V> {
  /** the entry for key: fresh from the cache, else loaded, else stale when the load fails */
  get(key: K, load: Work<V>, context?: Partial<ExecContext>): Promise<Cached<V>>;
  /** forget a key (e.g. the dependency said it no longer exists) */
  delete(key: K): boolean;
  size(): number;
  onStaleServed: Event<{ key: K; ageMs: number; error: unknown }>;
}

export function staleIfError<K, V>(options: StaleIfErrorOptions): StaleIfError<K, V> {
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

  async function get(key: K, load: Work<V>, context?: Partial<ExecContext>): Promise<Cached<V>> {
    const entry = entries.get(key);
    const now = clock.now();
    if (entry && now - entry.loadedAt < freshMs) return { ...entry, stale: false };
    try {
      const value = await loadOnce(key, () => load(fullContext(context)));
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
  }

  return {
    get,
    execute: (work, context) => get(context.key, work, context),
    delete: (key) => entries.delete(key),
    size: () => entries.size,
    onStaleServed: onStaleServed.event,
  };
}
