/**
 * Group commit in the app: concurrent calls are gathered into batches, and
 * each batch runs as ONE statement (one round trip, one commit) instead of
 * one per call. A batch starts as soon as a slot is free — at the next turn
 * of the event loop, so calls made in the same tick travel together — and
 * while `maxInFlight` batches are running, new calls queue for the next one
 * (up to `maxBatch` each). Under light load a call goes out at once, alone;
 * under heavy load batches grow by themselves. No timer adds latency unless
 * `lingerMs` asks for one.
 *
 * `run(items)` answers per item, in order: a value, or an Error for that
 * item alone. When `run` itself throws (the batch statement failed), every
 * item of that batch is handed to `runOne` separately, so one bad item
 * cannot fail its neighbours. The batch was one statement, so it wrote
 * nothing — unless its answer was lost after the commit, when it wrote
 * everything: `runOne` must be idempotent (an INSERT … ON CONFLICT DO
 * NOTHING that finds its own row), and an item may then learn that its row
 * exists rather than that it wrote it.
 */

/** how batches form: shared by every coalesced statement's options */
export interface BatchingOptions {
  /** most items in one batch (default 64) */
  maxBatch?: number;
  /** batches running at once (default 2); more calls queue for the next batch */
  maxInFlight?: number;
  /** wait this long for a batch to fill before sending a partial one (default 0: the next event-loop turn) */
  lingerMs?: number;
}

export interface CoalescerOptions<T, R> extends BatchingOptions {
  /** one statement for the whole batch; answers per item, in order (an Error fails that item only) */
  run: (items: T[]) => Promise<(R | Error)[]>;
  /** one item alone: after a failed batch, each of its items goes through here */
  runOne: (item: T) => Promise<R>;
  /** each batch that failed as a whole and fell back to single items (a hook that throws becomes a process warning) */
  onBatchFailure?: (error: unknown, size: number) => void;
  /** each batch sent, with its size (for metrics) */
  onBatch?: (size: number) => void;
  /**
   * Items of one batch with the same key (e.g. an idempotency key sent twice at once): only the
   * first goes to `run`, the others are answered `duplicate` — what a statement that met the
   * first's row would answer them. After a failed batch every item goes to `runOne`, duplicates too.
   */
  distinct?: { keyOf: (item: T) => string; duplicate: R };
}

export interface Coalescer<T, R> {
  add(item: T): Promise<R>;
  /** calls waiting for a batch */
  queued(): number;
}

interface Waiting<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

export function createCoalescer<T, R>(options: CoalescerOptions<T, R>): Coalescer<T, R> {
  const maxBatch = options.maxBatch ?? 64;
  const maxInFlight = options.maxInFlight ?? 2;
  const lingerMs = options.lingerMs ?? 0;
  if (!(maxBatch >= 1 && maxInFlight >= 1 && lingerMs >= 0))
    throw new Error('createCoalescer: maxBatch and maxInFlight must be >= 1, lingerMs >= 0');
  let queue: Waiting<T, R>[] = [];
  let inFlight = 0;
  let scheduled = false;

  /** `fn` called so that a synchronous throw becomes a rejection */
  const attempt = <V>(fn: () => Promise<V> | V): Promise<V> => Promise.resolve().then(fn);
  /** a hook's failure must not strand the batch's callers */
  const hook = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      // the hooks are the reporting (metrics, errors), so a failing one cannot report through itself: it
      // becomes a process warning (stderr, `process.on('warning')`); the batch's outcome does not depend on it
      process.emitWarning(
        `a coalescer hook failed: ${error instanceof Error ? error.message : String(error)}`,
        {
          code: 'STEADFAST_COALESCER_HOOK',
          detail: error instanceof Error ? error.stack : undefined,
        },
      );
    }
  };

  async function settleAlone(waiting: Waiting<T, R>[]): Promise<void> {
    await Promise.all(waiting.map((w) => attempt(() => options.runOne(w.item)).then(w.resolve, w.reject)));
  }

  async function answer(batch: Waiting<T, R>[]): Promise<void> {
    hook(() => options.onBatch?.(batch.length));
    if (batch.length === 1) {
      await attempt(() => options.runOne(batch[0].item)).then(batch[0].resolve, batch[0].reject);
      return;
    }
    // which item of `run` answers each caller: its own, or (a duplicate) none
    const { items, sentAs } = distinctItems(batch);
    let answers: (R | Error)[];
    try {
      answers = await attempt(() => options.run(items));
    } catch (error) {
      // the batch was one statement: it wrote nothing — or, when its answer was lost after the
      // commit, everything, and each item's own retry must then find its row (runOne is idempotent)
      hook(() => options.onBatchFailure?.(error, batch.length));
      await settleAlone(batch);
      return;
    }
    if (!Array.isArray(answers) || answers.length !== items.length) {
      const error = new Error(`coalescer: run answered ${answers?.length} of ${items.length} items`);
      for (const w of batch) w.reject(error);
      return;
    }
    batch.forEach((w, i) => {
      const at = sentAs[i];
      const value = at === undefined ? (options.distinct as { duplicate: R }).duplicate : answers[at];
      if (value instanceof Error) w.reject(value);
      else w.resolve(value);
    });
  }

  function distinctItems(batch: Waiting<T, R>[]): { items: T[]; sentAs: (number | undefined)[] } {
    const all = batch.map((w) => w.item);
    if (!options.distinct) return { items: all, sentAs: all.map((_, i) => i) };
    const { keyOf } = options.distinct;
    const seen = new Set<string>();
    const items: T[] = [];
    const sentAs = all.map((item) => {
      const key = keyOf(item);
      if (seen.has(key)) return undefined;
      seen.add(key);
      return items.push(item) - 1;
    });
    return { items, sentAs };
  }

  /** every caller of the batch is answered, whatever happens */
  async function send(batch: Waiting<T, R>[]): Promise<void> {
    try {
      await answer(batch);
    } catch (error) {
      for (const w of batch) w.reject(error); // a promise settles once: the answered ones keep their answer
    }
  }

  function flush(): void {
    scheduled = false;
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      inFlight++;
      void send(batch).finally(() => {
        inFlight--;
        if (queue.length > 0) schedule();
      });
    }
  }

  function schedule(): void {
    if (scheduled || inFlight >= maxInFlight) return;
    scheduled = true;
    if (lingerMs > 0 && queue.length < maxBatch) setTimeout(flush, lingerMs);
    else setImmediate(flush);
  }

  return {
    add(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (queue.length >= maxBatch && inFlight < maxInFlight && scheduled && lingerMs > 0) flush();
        else schedule();
      });
    },
    queued: () => queue.length,
  };
}
