/** Open-operation gauges, read from the table when scraped (one query each, none per request). */

import type { Registry } from 'prom-client';
import { type BackgroundErrors, createQueryGauge } from '../observability/index.ts';
import type { Queryable } from '../postgres/index.ts';

export const STUCK_AFTER_DEFAULT_MS = 5 * 60_000;

export function createOperationMetrics(options: {
  registry: Registry;
  db: Queryable;
  errors: BackgroundErrors;
  /** an open (pending or running) operation created longer ago than this is stuck (default 5 min) */
  stuckAfterMs?: number;
}) {
  const { registry, db, errors } = options;
  const stuckAfterS = (options.stuckAfterMs ?? STUCK_AFTER_DEFAULT_MS) / 1000;
  // both read only the open rows (the partial index operations_open_idx), never the finished history
  const open = createQueryGauge({
    registry,
    errors,
    name: 'steadfast_operations_open',
    help: 'Operations not finished yet, by status (pending, running)',
    labelNames: ['status'],
    read: async () => {
      const { rows } = await db.query<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM operations
         WHERE status IN ('pending', 'running') GROUP BY status`,
      );
      const counts = new Map(rows.map((row) => [row.status, row.n]));
      return ['pending', 'running'].map((status) => ({ labels: { status }, value: counts.get(status) ?? 0 }));
    },
  });
  const stuck = createQueryGauge({
    registry,
    errors,
    name: 'steadfast_operations_stuck',
    help: 'Open operations (pending or running) older than the stuck threshold (stuckAfterMs)',
    read: async () => {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM operations
         WHERE status IN ('pending', 'running') AND created_at < now() - make_interval(secs => $1)`,
        [stuckAfterS],
      );
      return [{ value: rows[0].n }];
    },
  });
  return { open, stuck };
}

export type OperationMetrics = ReturnType<typeof createOperationMetrics>;
