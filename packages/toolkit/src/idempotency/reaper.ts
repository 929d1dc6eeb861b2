/** Periodically delete expired idempotency records (small batches, no long locks) in a process without a job runner. */
import type { BackgroundErrors } from '../observability/index.ts';
import { type PeriodicCleanup, type Queryable, startPeriodicCleanup } from '../postgres/index.ts';
import { reapExpiredKeys } from './store.ts';

export function startKeyReaper(options: {
  db: Queryable;
  errors: BackgroundErrors;
  intervalMs?: number;
  /** counts deleted records */
  counter?: { inc(n: number): void };
}): PeriodicCleanup {
  return startPeriodicCleanup({
    name: 'idempotency-key-reaper',
    run: () => reapExpiredKeys(options.db),
    errors: options.errors,
    intervalMs: options.intervalMs,
    onDeleted: (n) => options.counter?.inc(n),
  });
}
