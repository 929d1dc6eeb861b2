/**
 * Dead letters on real Postgres: what is kept (the message cut at 2,000
 * characters), who sees which (a tenant its own, ALL_TENANTS everything),
 * filters and the cursor, closing once, and the gauges of open dead letters
 * and live workers.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { createBackgroundErrors, createLogger } from '../observability/index.ts';
import { ALL_TENANTS } from '../postgres/index.ts';
import { createTestDatabase, metricByLabel, type TestDatabase } from '../testing/index.ts';
import { closeDeadLetter, findDeadLetter, insertDeadLetter, listDeadLetters } from './dead-letters.ts';
import { createDeadLetterMetrics } from './metrics.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.close());
afterEach(() => db.pool.query('TRUNCATE dead_letters, worker_heartbeats'));

const letter = (id: string, tenantId: string | null, task = 'charge') =>
  insertDeadLetter(db.pool, {
    id,
    tenantId,
    task,
    payload: { orderId: `o_${id}` },
    attempts: 8,
    errorCategory: 'dependency',
    errorMessage: 'partner said 503',
    firstFailedAt: '2026-12-01T10:00:00.000Z',
  });

describe('dead letters', () => {
  test('kept as given, the message cut at 2,000 characters; found by its tenant or ALL_TENANTS only', async () => {
    await insertDeadLetter(db.pool, {
      id: 'dl_1',
      tenantId: 'ten_a',
      task: 'charge',
      payload: { orderId: 'o_1' },
      attempts: 8,
      errorCategory: 'dependency',
      errorMessage: 'x'.repeat(2500),
      firstFailedAt: '2026-12-01T10:00:00.000Z',
    });
    const found = await findDeadLetter(db.pool, 'dl_1', 'ten_a');
    assert.ok(found);
    assert.equal(found.errorMessage.length, 2000);
    assert.deepEqual(
      { ...found, errorMessage: '…', lastFailedAt: '…' },
      {
        id: 'dl_1',
        tenantId: 'ten_a',
        task: 'charge',
        payload: { orderId: 'o_1' },
        attempts: 8,
        errorCategory: 'dependency',
        errorMessage: '…',
        status: 'dead',
        discardReason: null,
        firstFailedAt: '2026-12-01T10:00:00.000Z',
        lastFailedAt: '…',
        replayedAt: null,
      },
    );
    assert.equal(await findDeadLetter(db.pool, 'dl_1', 'ten_b'), undefined);
    assert.equal((await findDeadLetter(db.pool, 'dl_1', ALL_TENANTS))?.id, 'dl_1');
    assert.equal(await findDeadLetter(db.pool, 'dl_none', ALL_TENANTS), undefined);
  });

  test('listing: a tenant its own, ALL_TENANTS also the system jobs; by task and status; newest first after a cursor', async () => {
    await letter('dl_1', 'ten_a');
    await letter('dl_2', null, 'reap');
    await letter('dl_3', 'ten_a', 'notify');
    await letter('dl_4', 'ten_b');
    await letter('dl_5', 'ten_a');
    await closeDeadLetter(db.pool, 'dl_5', 'replayed');
    const ids = async (q: Partial<Parameters<typeof listDeadLetters>[1]>) =>
      (await listDeadLetters(db.pool, { tenantId: 'ten_a', limit: 10, ...q })).map((d) => d.id);
    assert.deepEqual(await ids({}), ['dl_5', 'dl_3', 'dl_1']);
    assert.deepEqual(await ids({ tenantId: ALL_TENANTS }), ['dl_5', 'dl_4', 'dl_3', 'dl_2', 'dl_1']);
    assert.deepEqual(await ids({ task: 'charge' }), ['dl_5', 'dl_1']);
    assert.deepEqual(await ids({ status: 'dead' }), ['dl_3', 'dl_1']);
    assert.deepEqual(await ids({ beforeId: 'dl_5' }), ['dl_3', 'dl_1']);
    assert.deepEqual(
      await ids({ tenantId: ALL_TENANTS, limit: 1 }),
      ['dl_5', 'dl_4'],
      'limit + 1: a next page',
    );
  });

  test('closing moves a dead letter once, to replayed (with its time) or discarded (with its reason)', async () => {
    await letter('dl_r', 'ten_a');
    await letter('dl_d', 'ten_a');
    const replayed = await closeDeadLetter(db.pool, 'dl_r', 'replayed');
    assert.equal(replayed?.status, 'replayed');
    assert.match(String(replayed?.replayedAt), /^\d{4}-/);
    assert.equal(await closeDeadLetter(db.pool, 'dl_r', 'discarded'), undefined, 'not dead any more');
    assert.equal(replayed?.discardReason, null);
    const discarded = await closeDeadLetter(db.pool, 'dl_d', 'discarded', 'duplicate of dl_r');
    assert.equal(discarded?.status, 'discarded');
    assert.equal(discarded?.discardReason, 'duplicate of dl_r');
    assert.equal(discarded?.replayedAt, null);
    assert.equal(await closeDeadLetter(db.pool, 'dl_none', 'replayed'), undefined);
  });
});

describe('dead-letter gauges', () => {
  test('open dead letters by task, and workers whose heartbeat is fresh (one per process)', async () => {
    await letter('dl_1', 'ten_a', 'charge');
    await letter('dl_2', 'ten_b', 'charge');
    await letter('dl_3', null, 'reap');
    await letter('dl_4', 'ten_a', 'reap');
    await closeDeadLetter(db.pool, 'dl_4', 'discarded');
    await db.pool.query(
      `INSERT INTO worker_heartbeats (worker_id, process_id, last_seen_at) VALUES
         ('w1', 'p1', now()), ('w2', 'p1', now()), ('w3', 'p2', now() - interval '20 minutes'),
         ('w4', 'p3', now() - interval '2 hours')`,
    );
    const read = (registry: Registry, name: string) => metricByLabel(registry, name, 'task');
    const gauges = (workerDeadAfterS?: number) => {
      const registry = new Registry();
      createDeadLetterMetrics({
        registry,
        db: db.pool,
        errors: createBackgroundErrors({ log: createLogger({ level: 'silent' }) }),
        workerDeadAfterS,
      });
      return registry;
    };
    const byDefault = gauges();
    assert.deepEqual(await read(byDefault, 'steadfast_dead_letters_open'), { charge: 2, reap: 1 });
    assert.deepEqual(await read(byDefault, 'steadfast_workers_alive'), { '': 1 }, 'within 30 s: p1 only');
    assert.deepEqual(
      await read(gauges(3600), 'steadfast_workers_alive'),
      { '': 2 },
      'within an hour: p1 and p2',
    );
    assert.deepEqual(await read(gauges(86_400), 'steadfast_workers_alive'), { '': 3 });
  });
});
