/**
 * Periodic cleanup, one way for every block: `deleteInBatches` removes rows
 * past their retention in small batches (`FOR UPDATE SKIP LOCKED`, so it never
 * waits on, or blocks, live traffic), and `startPeriodicCleanup` runs cleanups
 * on a timer in processes without a job runner, reporting failures instead of
 * dropping them. In a worker, run the same functions from a periodic job.
 */
import type { BackgroundErrors } from '../observability/index.ts';
import type { Queryable } from './pool.ts';

export interface BatchedDelete {
  /** the table (an identifier from code, never from input) */
  table: string;
  /** SQL condition of the rows to delete; may use $1..$n from `params` */
  where: string;
  params?: unknown[];
  batchSize?: number;
  /** stop after this many batches (the next run continues) */
  maxBatches?: number;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** Delete matching rows batch by batch until a batch comes back short; returns how many were deleted. */
export async function deleteInBatches(db: Queryable, spec: BatchedDelete): Promise<number> {
  if (!IDENTIFIER.test(spec.table))
    throw new Error(`deleteInBatches: "${spec.table}" is not a plain identifier`);
  const params = spec.params ?? [];
  const batchSize = spec.batchSize ?? 500;
  const sql = `DELETE FROM ${spec.table} WHERE ctid IN (
    SELECT ctid FROM ${spec.table} WHERE ${spec.where} LIMIT $${params.length + 1} FOR UPDATE SKIP LOCKED)`;
  let total = 0;
  for (let i = 0; i < (spec.maxBatches ?? 100); i++) {
    const { rowCount } = await db.query(sql, [...params, batchSize]);
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) break;
  }
  return total;
}

export interface PeriodicCleanup {
  runOnce(): Promise<number>;
  stop(): void;
}

export function startPeriodicCleanup(options: {
  /** names the cleanup in logs and metrics */
  name: string;
  run: () => Promise<number>;
  errors: BackgroundErrors;
  intervalMs?: number;
  /** called with how many rows each run deleted */
  onDeleted?: (count: number) => void;
}): PeriodicCleanup {
  const runOnce = async () => {
    const n = await options.run();
    if (n) options.onDeleted?.(n);
    return n;
  };
  const timer = setInterval(() => {
    runOnce().catch((error) => options.errors.report(options.name, error));
  }, options.intervalMs ?? 60_000);
  timer.unref();
  return { runOnce, stop: () => clearInterval(timer) };
}
