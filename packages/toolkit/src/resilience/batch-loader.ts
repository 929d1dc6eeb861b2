/**
 * batchLoader({ maxBatchSize, load }): keys asked for in the same tick are
 * loaded together — one `load(items)` call per up to maxBatchSize keys, each
 * key asked once per batch (a key already in a pending batch joins it). Put
 * it behind a staleIfError cache, whose misses of one key share one load
 * (single-flight): 1,000 requests for the same 100 new keys then make one
 * batch call, not 100,000 single ones.
 */

export interface BatchItem<K, C> {
  key: K;
  /** the first caller's context for this key (request id, deadline, …) */
  context: C;
}

/** one key's outcome in a batch: its value, or why it has none (e.g. "no such item") */
export type BatchResult<V> = { value: V } | { error: unknown };

export interface BatchLoaderOptions<K, V, C> {
  /** keys per load call (default 100) */
  maxBatchSize?: number;
  /**
   * Loads one batch. Answer a result per key; a key left out fails with
   * `missing(key)`. A rejection fails every key of the batch.
   */
  load(items: BatchItem<K, C>[]): Promise<Map<K, BatchResult<V>>>;
  /** the error of a key the load left out of its answer */
  missing?: (key: K) => unknown;
}

export interface BatchLoader<K, V, C> {
  /** the key's value, loaded with the other keys asked for in this tick */
  load(key: K, context: C): Promise<V>;
  /** load calls made so far */
  batches(): number;
}

export function batchLoader<K, V, C = undefined>(options: BatchLoaderOptions<K, V, C>): BatchLoader<K, V, C> {
  const maxBatchSize = options.maxBatchSize ?? 100;
  const missing = options.missing ?? ((key: K) => new Error(`the batch answered nothing for ${String(key)}`));
  type Waiter = { resolve: (value: V) => void; reject: (error: unknown) => void };
  let pending = new Map<K, { context: C; waiters: Waiter[] }>();
  let scheduled = false;
  let batches = 0;

  async function run(chunk: [K, { context: C; waiters: Waiter[] }][]) {
    batches++;
    let answers: Map<K, BatchResult<V>>;
    try {
      answers = await options.load(chunk.map(([key, { context }]) => ({ key, context })));
    } catch (error) {
      for (const [, entry] of chunk) for (const w of entry.waiters) w.reject(error);
      return;
    }
    for (const [key, entry] of chunk) {
      const answer = answers.get(key);
      for (const w of entry.waiters) {
        if (answer === undefined) w.reject(missing(key));
        else if ('value' in answer) w.resolve(answer.value);
        else w.reject(answer.error);
      }
    }
  }

  function flush() {
    scheduled = false;
    const entries = [...pending];
    pending = new Map();
    for (let i = 0; i < entries.length; i += maxBatchSize) void run(entries.slice(i, i + maxBatchSize));
  }

  return {
    load(key, context) {
      return new Promise<V>((resolve, reject) => {
        const entry = pending.get(key);
        if (entry) entry.waiters.push({ resolve, reject });
        else pending.set(key, { context, waiters: [{ resolve, reject }] });
        if (!scheduled) {
          scheduled = true;
          queueMicrotask(flush);
        }
      });
    },
    batches: () => batches,
  };
}
