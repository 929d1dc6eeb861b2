/**
 * The backfill of orders.customer: batches of at most N rows, each its own
 * statement, skipping rows a writer holds; idempotent; and rows the previous
 * release writes meanwhile (customer_email alone) end up right.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createLogger } from '@steadfast/toolkit/observability';
import type { Queryable } from '@steadfast/toolkit/postgres';
import { createLogCapture, createTestDatabase, type TestDatabase } from '@steadfast/toolkit/testing';
import { Registry } from 'prom-client';
import { createOrderCustomerBackfill } from './backfill-order-customer.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.close());
beforeEach(() => db.pool.query('TRUNCATE orders'));

/** the previous release's INSERT (orders-store.ts before 0005): customer_email, no customer */
async function insertAsPreviousRelease(db: Queryable, count: number, from = 1, email = true) {
  await db.query(
    `INSERT INTO orders (id, tenant_id, status, currency, items, total_amount, customer_email, metadata,
       last_payment_error, priced_at, pricing_stale, version, created_at, updated_at)
     SELECT 'ord_' || lpad(i::text, 6, '0'), 'ten_1', 'draft', 'EUR', '[]', 0,
       CASE WHEN $3 THEN 'c' || i || '@example.com' END, '{}', NULL, now(), false, 1, now(), now()
     FROM generate_series($1::int, $1::int + $2::int - 1) i`,
    [from, count, email],
  );
}

/** the previous release's PATCH of a draft: every column it knows, customer_email among them */
const PREVIOUS_RELEASE_UPDATE = `UPDATE orders SET currency = 'EUR', items = '[]', total_amount = 0,
  customer_email = $2, metadata = '{}', version = version + 1, updated_at = now() WHERE id = $1`;

async function customerOf(id: string) {
  const { rows } = await db.pool.query('SELECT customer, customer_email, version FROM orders WHERE id = $1', [
    id,
  ]);
  return rows[0];
}

function backfillWith(batchSize?: number) {
  const logs = createLogCapture();
  const registry = new Registry();
  const backfill = createOrderCustomerBackfill({
    db: db.pool,
    log: createLogger({ level: 'info', destination: logs.stream }),
    registry,
    batchSize,
  });
  const gauge = async () =>
    (await registry.getSingleMetricAsString('steadfast_backfill_rows_remaining')).split('\n').at(-1);
  return { backfill, logs, gauge };
}

describe('backfill-order-customer', () => {
  test('10,500 rows are done in 11 batches of at most 1000; a second run finds nothing', async () => {
    await insertAsPreviousRelease(db.pool, 10_500);
    await insertAsPreviousRelease(db.pool, 3, 20_001, false); // no email: nothing to copy
    const { backfill, logs, gauge } = backfillWith();

    assert.deepEqual(await backfill.run(), { batches: 11, updated: 10_500, remaining: 0 });

    const batches = logs.lines().filter((l) => l.msg === 'backfill batch');
    assert.deepEqual(
      batches.map((l) => [l.updated, l.remaining]),
      [
        [1000, 9500],
        [1000, 8500],
        [1000, 7500],
        [1000, 6500],
        [1000, 5500],
        [1000, 4500],
        [1000, 3500],
        [1000, 2500],
        [1000, 1500],
        [1000, 500],
        [500, 0],
      ],
    );
    assert.equal(await gauge(), 'steadfast_backfill_rows_remaining{backfill="orders.customer"} 0');
    assert.deepEqual(await customerOf('ord_000042'), {
      customer: { email: 'c42@example.com', name: null },
      customer_email: 'c42@example.com',
      version: 1, // not a change a client sees: the ETag stays
    });
    assert.deepEqual(await customerOf('ord_020002'), { customer: null, customer_email: null, version: 1 });
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM orders WHERE customer IS NULL AND customer_email IS NOT NULL`,
    );
    assert.equal(rows[0].n, 0);

    assert.deepEqual(await backfill.run(), { batches: 0, updated: 0, remaining: 0 }, 'idempotent');
  });

  test('a row a writer holds is skipped, not waited for, and taken by the next run with what was written', async () => {
    await insertAsPreviousRelease(db.pool, 5);
    const writer = await db.pool.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(PREVIOUS_RELEASE_UPDATE, ['ord_000003', 'changed@example.com']);
      const { backfill } = backfillWith(2);
      // without SKIP LOCKED this would wait for the writer's transaction, which waits for us
      assert.deepEqual(await backfill.run(), { batches: 3, updated: 4, remaining: 1 });
      assert.equal((await customerOf('ord_000003')).customer, null);
      await writer.query('COMMIT');
      assert.deepEqual(await backfill.run(), { batches: 1, updated: 1, remaining: 0 });
    } finally {
      writer.release();
    }
    assert.deepEqual((await customerOf('ord_000003')).customer, { email: 'changed@example.com', name: null });
  });

  test('the previous release writing during the backfill: every row ends with customer.email = customer_email', async () => {
    await insertAsPreviousRelease(db.pool, 3000);
    const { backfill } = backfillWith(100);
    const previousRelease = async () => {
      for (let i = 1; i <= 200; i++) {
        // new orders (customer NULL), and email changes on rows the backfill may already have done
        await insertAsPreviousRelease(db.pool, 1, 10_000 + i);
        await db.pool.query(PREVIOUS_RELEASE_UPDATE, [
          `ord_${String(i * 13).padStart(6, '0')}`,
          `new${i}@example.com`,
        ]);
        if (i % 20 === 0)
          await db.pool.query(PREVIOUS_RELEASE_UPDATE, [`ord_${String(i).padStart(6, '0')}`, null]);
      }
    };
    await Promise.all([backfill.run(), previousRelease()]);
    await backfill.run(); // the next periodic run takes what arrived after the first one passed by
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS total,
         count(*) FILTER (WHERE customer IS DISTINCT FROM
           CASE WHEN customer_email IS NULL THEN NULL
           ELSE jsonb_build_object('email', customer_email, 'name', NULL) END)::int AS wrong
       FROM orders`,
    );
    assert.deepEqual(rows[0], { total: 3200, wrong: 0 });
    assert.deepEqual((await customerOf('ord_000013')).customer, { email: 'new1@example.com', name: null });
    assert.equal((await customerOf('ord_000020')).customer, null, 'an email cleared by the old release');
  });

  test('the previous release changing the email of a row with a name keeps the name', async () => {
    await insertAsPreviousRelease(db.pool, 1);
    await db.pool.query(
      `UPDATE orders SET customer = '{"email": "c1@example.com", "name": "Ada"}' WHERE id = 'ord_000001'`,
    );
    await db.pool.query(PREVIOUS_RELEASE_UPDATE, ['ord_000001', 'ada@example.com']);
    assert.deepEqual((await customerOf('ord_000001')).customer, { email: 'ada@example.com', name: 'Ada' });
    await db.pool.query(PREVIOUS_RELEASE_UPDATE, ['ord_000001', null]);
    assert.deepEqual((await customerOf('ord_000001')).customer, { email: null, name: 'Ada' });
  });
});
