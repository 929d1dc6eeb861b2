/**
 * backfill-order-customer: the backfill step of customerEmail → customer
 * (docs/evolution.md). Copies customer_email into customer where customer is
 * still NULL, `batchSize` rows per statement; each statement is its own short
 * transaction, and the rows it picks are locked FOR UPDATE SKIP LOCKED, so it
 * never waits for (nor blocks for long) a request writing the same order — a
 * row skipped now is taken by a later batch or run. Idempotent: a backfilled
 * row no longer matches. Neither version nor updated_at change: the order a
 * client reads is the same before and after (reads fall back to
 * customer_email). Removed in the contract release.
 */
import type { Logger } from '@steadfast/toolkit/observability';
import type { Pool } from '@steadfast/toolkit/postgres';
import { Gauge, type Registry } from 'prom-client';

export const BACKFILL_ORDER_CUSTOMER_TASK = 'backfill-order-customer';
const GAUGE = 'steadfast_backfill_rows_remaining';

export interface BackfillResult {
  /** statements run (each one transaction) */
  batches: number;
  /** rows given a customer */
  updated: number;
  /** rows still without one, as far as this run knows (counted at its start, minus what it did) */
  remaining: number;
}

export interface BackfillOrderCustomerOptions {
  db: Pool;
  log: Logger;
  registry: Registry;
  /** rows per statement (default 1000) */
  batchSize?: number;
}

function remainingGauge(registry: Registry): Gauge<'backfill'> {
  const existing = registry.getSingleMetric(GAUGE);
  if (existing) return existing as Gauge<'backfill'>;
  return new Gauge({
    name: GAUGE,
    help: 'Rows a data backfill has still to change, as its last run counted them',
    labelNames: ['backfill'] as const,
    registers: [registry],
  });
}

export function createOrderCustomerBackfill(options: BackfillOrderCustomerOptions) {
  const { db, log } = options;
  const batchSize = options.batchSize ?? 1000;
  const gauge = remainingGauge(options.registry);
  const label = { backfill: 'orders.customer' };

  async function batch(): Promise<number> {
    const { rowCount } = await db.query({
      name: 'orders.backfill-customer',
      text: `UPDATE orders o SET customer = jsonb_build_object('email', o.customer_email, 'name', NULL)
        FROM (SELECT id FROM orders WHERE customer IS NULL AND customer_email IS NOT NULL
              LIMIT $1 FOR UPDATE SKIP LOCKED) todo
        WHERE o.id = todo.id`,
      values: [batchSize],
    });
    return rowCount ?? 0;
  }

  /** Batches until one finds fewer than batchSize rows. */
  async function run(): Promise<BackfillResult> {
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM orders WHERE customer IS NULL AND customer_email IS NOT NULL',
    );
    let remaining = rows[0].n;
    const result = { batches: 0, updated: 0, remaining };
    gauge.set(label, remaining);
    if (remaining === 0) return result;
    for (;;) {
      const n = await batch();
      result.batches += 1;
      result.updated += n;
      remaining = Math.max(0, remaining - n);
      result.remaining = remaining;
      gauge.set(label, remaining);
      log.info({ backfill: label.backfill, batch: result.batches, updated: n, remaining }, 'backfill batch');
      if (n < batchSize) break;
    }
    return result;
  }

  return {
    run,
    /** the worker's periodic task */
    task: {
      name: BACKFILL_ORDER_CUSTOMER_TASK,
      maxAttempts: 1, // periodic: the next run is the retry
      run: async () => void (await run()),
    },
  };
}
