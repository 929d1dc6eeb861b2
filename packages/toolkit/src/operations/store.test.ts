/**
 * The operations store, on real Postgres: what an operation looks like when
 * created and changed, listing a tenant's operations with filters and a
 * cursor, finding across tenants only with ALL_TENANTS, and the gauges of open
 * and stuck operations.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { createBackgroundErrors, createLogger, formatTraceparent, inSpan } from '../observability/index.ts';
import { ALL_TENANTS } from '../postgres/index.ts';
import { createTestDatabase, metricByLabel, type TestDatabase } from '../testing/index.ts';
import { createTracingHarness } from '../testing/tracing-harness.ts';
import { createOperationMetrics, STUCK_AFTER_DEFAULT_MS } from './metrics.ts';
import { createOperation, findOperation, listOperations, updateOperation } from './store.ts';

const { tracer } = createTracingHarness('operations-test');
let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.close());
afterEach(() => db.pool.query('TRUNCATE operations'));

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('operations store', () => {
  test('created pending with its resource and request; changes keep what they do not name', async () => {
    const created = await createOperation(db.pool, {
      id: 'op_1',
      tenantId: 'ten_a',
      kind: 'payment',
      resource: '/v1/orders/o_1',
      requestId: 'req_1',
      traceparent: null,
    });
    assert.match(created.createdAt, ISO);
    assert.deepEqual(
      { ...created, createdAt: 'x', updatedAt: 'x' },
      {
        id: 'op_1',
        tenantId: 'ten_a',
        kind: 'payment',
        status: 'pending',
        resource: '/v1/orders/o_1',
        result: null,
        error: null,
        lastError: null,
        createdAt: 'x',
        updatedAt: 'x',
      },
    );
    const { rows } = await db.pool.query('SELECT request_id, traceparent FROM operations WHERE id = $1', [
      'op_1',
    ]);
    assert.deepEqual(rows[0], { request_id: 'req_1', traceparent: null });
    const running = await updateOperation(db.pool, 'op_1', {
      status: 'running',
      lastError: { slug: 'timeout' },
    });
    assert.equal(running?.status, 'running');
    assert.deepEqual(running?.lastError, { slug: 'timeout' });
    const progressed = await updateOperation(db.pool, 'op_1', { result: { step: 1 } });
    assert.equal(progressed?.status, 'running', 'no status given: it stays');
    assert.deepEqual(progressed?.lastError, { slug: 'timeout' }, 'no lastError given: it stays');
    assert.deepEqual(progressed?.result, { step: 1 });
    const done = await updateOperation(db.pool, 'op_1', { status: 'succeeded', result: { paid: true } });
    assert.deepEqual([done?.status, done?.result], ['succeeded', { paid: true }]);
    const finished = await db.pool.query(
      'SELECT finished_at IS NOT NULL AS f FROM operations WHERE id = $1',
      ['op_1'],
    );
    assert.equal(finished.rows[0].f, true);
    assert.equal(
      await updateOperation(db.pool, 'op_1', { status: 'failed' }),
      undefined,
      'terminal is final',
    );
    assert.equal(await updateOperation(db.pool, 'op_nope', { status: 'running' }), undefined);
  });

  test('the traceparent: the active span’s by default, the given one (or none) when given', async () => {
    const stored = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await inSpan(tracer(), 'order pay', {}, async (span) => {
      await createOperation(db.pool, { id: 'op_default', tenantId: 't', kind: 'k' });
      await createOperation(db.pool, { id: 'op_given', tenantId: 't', kind: 'k', traceparent: stored });
      await createOperation(db.pool, { id: 'op_none', tenantId: 't', kind: 'k', traceparent: null });
      const { rows } = await db.pool.query('SELECT id, traceparent FROM operations ORDER BY id');
      assert.ok(span);
      assert.deepEqual(rows, [
        { id: 'op_default', traceparent: formatTraceparent(span) },
        { id: 'op_given', traceparent: stored },
        { id: 'op_none', traceparent: null },
      ]);
    });
  });

  test('a tenant finds its own operation; another tenant does not; ALL_TENANTS finds any', async () => {
    await createOperation(db.pool, { id: 'op_a', tenantId: 'ten_a', kind: 'payment' });
    assert.equal((await findOperation(db.pool, 'op_a', 'ten_a'))?.id, 'op_a');
    assert.equal(await findOperation(db.pool, 'op_a', 'ten_b'), undefined);
    assert.equal((await findOperation(db.pool, 'op_a', ALL_TENANTS))?.tenantId, 'ten_a');
    assert.equal(await findOperation(db.pool, 'op_zz', ALL_TENANTS), undefined);
    await assert.rejects(
      () => findOperation(db.pool, 'op_a', ''),
      /a tenant scope is a tenant id or ALL_TENANTS/,
    );
  });

  test('listing: newest first, filtered by status and kind, a page of limit + 1 after a cursor, one tenant only', async () => {
    for (const [id, tenantId, kind] of [
      ['op_1', 'ten_a', 'payment'],
      ['op_2', 'ten_a', 'refund'],
      ['op_3', 'ten_a', 'payment'],
      ['op_4', 'ten_b', 'payment'],
      ['op_5', 'ten_a', 'payment'],
    ])
      await createOperation(db.pool, { id, tenantId, kind });
    await updateOperation(db.pool, 'op_3', { status: 'running' });
    const ids = async (q: Partial<Parameters<typeof listOperations>[1]>) =>
      (await listOperations(db.pool, { tenantId: 'ten_a', limit: 10, ...q })).map((o) => o.id);
    assert.deepEqual(await ids({}), ['op_5', 'op_3', 'op_2', 'op_1']);
    assert.deepEqual(await ids({ kind: 'payment' }), ['op_5', 'op_3', 'op_1']);
    assert.deepEqual(await ids({ status: 'running' }), ['op_3']);
    assert.deepEqual(await ids({ status: 'pending', kind: 'payment' }), ['op_5', 'op_1']);
    assert.deepEqual(await ids({ beforeId: 'op_3' }), ['op_2', 'op_1']);
    // one more than the page: the caller knows there is a next page
    assert.deepEqual(await ids({ limit: 2 }), ['op_5', 'op_3', 'op_2']);
    assert.deepEqual(await ids({ tenantId: 'ten_b' }), ['op_4']);
  });
});

describe('operation gauges', () => {
  test('open operations by status (0 when none) and the stuck ones older than the threshold', async () => {
    assert.equal(STUCK_AFTER_DEFAULT_MS, 300_000);
    const gauges = (stuckAfterMs?: number) => {
      const registry = new Registry();
      createOperationMetrics({
        registry,
        db: db.pool,
        errors: createBackgroundErrors({ log: createLogger({ level: 'silent' }) }),
        stuckAfterMs,
      });
      const read = (name: string) => metricByLabel(registry, name, 'status');
      return {
        open: () => read('steadfast_operations_open'),
        stuck: () => read('steadfast_operations_stuck'),
      };
    };
    const byDefault = gauges();
    assert.deepEqual(await byDefault.open(), { pending: 0, running: 0 });
    for (const [id, status, ageS] of [
      ['op_p_old', 'pending', 400],
      ['op_r_old', 'running', 400],
      ['op_r_mid', 'running', 100],
      ['op_p_new', 'pending', 1],
      ['op_done', 'succeeded', 9000],
    ] as const)
      await db.pool.query(
        `INSERT INTO operations (id, tenant_id, kind, status, created_at) VALUES ($1, 't', 'k', $2, now() - make_interval(secs => $3))`,
        [id, status, ageS],
      );
    assert.deepEqual(await byDefault.open(), { pending: 2, running: 2 });
    assert.deepEqual(await byDefault.stuck(), { '': 2 }, 'over 5 minutes: the two at 400 s');
    assert.deepEqual(await gauges(60_000).stuck(), { '': 3 }, 'over a minute: 400, 400 and 100 s');
  });
});
