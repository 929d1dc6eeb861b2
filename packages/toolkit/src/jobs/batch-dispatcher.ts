/**
 * The batch dispatcher behind the outbox and the webhook inbox (and any table
 * used as a durable queue): claim due rows in batches with `FOR UPDATE SKIP
 * LOCKED` and a lease (a claimed row is invisible to other dispatchers until
 * `leaseMs` passes, so a crashed dispatcher's rows come back by themselves),
 * hand each to `handle`, record a batch's successes in one statement, retry
 * failures with full-jitter backoff, and hand a row whose attempts are used up
 * to `exhausted` (dead letter). Rows are the buffer: nothing is enqueued per row.
 */
import type { BackgroundErrors } from '../observability/index.ts';
import { assertMigrated, type Migration, type Queryable } from '../postgres/index.ts';
import { backoffDelayMs } from '../resilience/index.ts';
import { createPollLoop } from './poll-loop.ts';

/** What the dispatcher needs of every row: the table must have `id`, `attempts` and `next_attempt_at`. */
export interface DispatchItem {
  id: string;
  /** including the claim that handed it over: 1 on the first delivery */
  attempts: number;
}

export interface BatchDispatcherOptions<Item extends DispatchItem, Outcome> {
  db: Queryable;
  errors: BackgroundErrors;
  /** names the dispatcher in logs and metrics, e.g. `outbox` */
  name: string;
  /** the queue table (an identifier from code, never from input) */
  table: string;
  /** SQL condition of claimable rows, e.g. `status = 'pending'` */
  claimable: string;
  /** SQL list of the columns to return for each claimed row */
  columns: string;
  toItem: (row: Record<string, unknown>) => Item;
  handle: (item: Item) => Promise<Outcome>;
  /** record the batch's successful outcomes, ideally in one statement */
  complete: (db: Queryable, done: { item: Item; outcome: Outcome }[]) => Promise<void>;
  /** attempts used up: mark the row dead and record it where a human can replay it */
  exhausted: (db: Queryable, item: Item, error: unknown) => Promise<void>;
  /** column that keeps the last failure's message */
  errorColumn: string;
  /** failures that never reached the other side (open breaker, full bulkhead): wait without spending an attempt */
  isBackPressure?: (error: unknown) => boolean;
  backPressureDelayMs?: number;
  batchSize?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  leaseMs?: number;
  idleMs?: number;
  random?: () => number;
  /** checked by `start()`: the tables this dispatcher works on */
  requires?: { migrations: Migration[]; exportName: string };
}

export interface BatchDispatcher {
  /** claim and handle one batch; resolves with the number of rows claimed */
  runOnce(): Promise<number>;
  /** verify the schema, then poll until `stop()` */
  start(): Promise<void>;
  stop(): Promise<void>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

export function createBatchDispatcher<Item extends DispatchItem, Outcome>(
  options: BatchDispatcherOptions<Item, Outcome>,
): BatchDispatcher {
  const { db, table, errorColumn } = options;
  if (!IDENTIFIER.test(table) || !IDENTIFIER.test(errorColumn))
    throw new Error(`batch dispatcher ${options.name}: table and errorColumn must be plain identifiers`);
  const batchSize = options.batchSize ?? 50;
  const maxAttempts = options.maxAttempts ?? 8;
  const backoff = {
    baseMs: options.baseDelayMs ?? 500,
    maxMs: options.maxDelayMs ?? 60_000,
    random: options.random,
  };
  const claim = `UPDATE ${table} SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
    WHERE id IN (SELECT id FROM ${table} WHERE ${options.claimable} AND next_attempt_at <= now()
                 ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
    RETURNING ${options.columns}`;
  const later = `UPDATE ${table} SET next_attempt_at = now() + make_interval(secs => $2), ${errorColumn} = $3 WHERE id = $1`;
  const unclaim = `UPDATE ${table} SET attempts = attempts - 1, next_attempt_at = now() + make_interval(secs => $2),
    ${errorColumn} = $3 WHERE id = $1`;

  async function fail(item: Item, error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    if (options.isBackPressure?.(error)) {
      await db.query(unclaim, [item.id, (options.backPressureDelayMs ?? 1000) / 1000, message]);
    } else if (item.attempts >= maxAttempts) {
      await options.exhausted(db, item, error);
    } else {
      await db.query(later, [item.id, backoffDelayMs(item.attempts, backoff) / 1000, message]);
    }
  }

  async function runOnce(): Promise<number> {
    const { rows } = await db.query<Record<string, unknown>>(claim, [
      batchSize,
      (options.leaseMs ?? 30_000) / 1000,
    ]);
    const done: { item: Item; outcome: Outcome }[] = [];
    await Promise.all(
      rows.map(async (row) => {
        let item: Item;
        try {
          item = options.toItem(row);
        } catch (error) {
          // a row we cannot read is reported; its lease brings it back, and the batch's successes still count
          options.errors.report(options.name, error, { id: row.id });
          return;
        }
        try {
          done.push({ item, outcome: await options.handle(item) });
        } catch (error) {
          // recording the failure may fail too (database down): the lease brings the row back
          await fail(item, error).catch((e) => options.errors.report(options.name, e, { id: item.id }));
        }
      }),
    );
    if (done.length) await options.complete(db, done);
    return rows.length;
  }

  const poll = createPollLoop({
    runOnce,
    batchSize,
    idleMs: options.idleMs ?? 200,
    onError: (error) => options.errors.report(options.name, error),
  });
  return {
    runOnce,
    async start() {
      if (options.requires)
        await assertMigrated(db, options.requires.migrations, options.requires.exportName);
      poll.start();
    },
    stop: poll.stop,
  };
}
