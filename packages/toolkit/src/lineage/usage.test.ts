/** Usage of @steadfast/toolkit/lineage: record requests and attempts in batches, find them, reap them. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  addLineageRefs,
  createLineageRecorder,
  findLineage,
  lineageMigrations,
  lineagePlugin,
  reapLineage,
} from '@steadfast/toolkit/lineage';
import { createBackgroundErrors, createLogger } from '@steadfast/toolkit/observability';
import { ALL_TENANTS, migrate } from '@steadfast/toolkit/postgres';
import { createTestDatabase, type TestDatabase } from '@steadfast/toolkit/testing';
import Fastify from 'fastify';

let db: TestDatabase;

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...lineageMigrations]);
});
after(() => db?.close());

type Listener = Parameters<Parameters<typeof createLineageRecorder>[0]['errors']['report']>[1];

/** stands in for a DependencyClient of /resilience: it announces its attempts through onAttempt */
function fakeClient() {
  const listeners = new Set<(a: never) => void>();
  return {
    onAttempt(listener: (a: never) => void) {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
    emit(attempt: object) {
      for (const l of listeners) l(attempt as never);
    },
  };
}

describe('lineage', () => {
  test('a request and the attempts it made are recorded, then found by request id, key or ref', async () => {
    const pool = db.pool;
    const pricing = fakeClient();
    // docs:start recorder
    const log = createLogger();
    const recorder = createLineageRecorder({
      db: pool,
      log,
      errors: createBackgroundErrors({ log }),
      // rows wait in memory and go in one INSERT per table every second (or per full batch)
      flushIntervalMs: 1000,
      maxBuffered: 10_000,
    });
    recorder.attach(pricing); // every attempt of this dependency client
    recorder.start();
    // on shutdown: await recorder.stop(); (writes what is buffered)
    // docs:end recorder

    // docs:start plugin
    const app = Fastify();
    await app.register(lineagePlugin, {
      recorder,
      tenantOf: (request) => request.headers['x-tenant'] as string | undefined, // your principal's tenant
    });
    app.post('/items/:id/reserve', async (request) => {
      const { id } = request.params as { id: string };
      addLineageRefs(request, id); // the resources this request touched
      return { reserved: id };
    });
    // docs:end plugin
    await app.ready();

    const response = await app.inject({
      method: 'POST',
      url: '/items/itm_1/reserve',
      headers: { 'x-tenant': 'tenant_a', 'idempotency-key': 'reserve-itm_1-1' },
    });
    assert.equal(response.statusCode, 200);
    await recorder.flush();
    const { rows } = await pool.query<{ request_id: string }>('SELECT request_id FROM lineage_requests');
    const requestId = rows[0].request_id;
    pricing.emit({
      dependency: 'pricing',
      method: 'GET',
      route: '/prices/{sku}',
      status: 503,
      durationMs: 12.5,
      attempt: 1,
      outcome: 'transient',
      kind: '5xx',
      error: 'HTTP 503',
      requestId,
      idempotencyKey: 'price:itm_1',
      at: Date.now(),
    });
    await recorder.stop();
    await app.close();

    // docs:start find
    const found = await findLineage(pool, {
      refs: ['itm_1'], // or requestIds, idempotencyKeys, keyPrefixes
      tenantId: ALL_TENANTS, // operators; a tenant id sees only that tenant's requests
      limit: 100, // per table, newest first
    });
    // docs:end find
    assert.equal(found.requests.length, 1);
    assert.deepEqual(
      { ...found.requests[0], at: undefined, durationMs: undefined },
      {
        at: undefined,
        requestId,
        tenantId: 'tenant_a',
        method: 'POST',
        route: '/items/{id}/reserve',
        status: 200,
        durationMs: undefined,
        idempotencyKey: 'reserve-itm_1-1',
        idempotencyOutcome: 'executed',
        refs: ['itm_1'],
      },
    );
    assert.equal(found.attempts.length, 1, 'found through the request id of the matched request');
    assert.equal(found.attempts[0].kind, '5xx');
    assert.equal(found.attempts[0].status, 503);
    assert.equal(found.attempts[0].idempotencyKey, 'price:itm_1');

    const byPrefix = await findLineage(pool, {
      keyPrefixes: ['price:itm_'],
      tenantId: ALL_TENANTS,
      limit: 10,
    });
    assert.equal(byPrefix.attempts.length, 1);
    const byKey = await findLineage(pool, {
      idempotencyKeys: ['reserve-itm_1-1'],
      tenantId: ALL_TENANTS,
      limit: 10,
    });
    assert.equal(byKey.requests[0].requestId, requestId);
    const other = await findLineage(pool, { requestIds: [requestId], tenantId: 'tenant_b', limit: 10 });
    assert.deepEqual(other, { requests: [], attempts: [], truncated: false }, 'another tenant sees nothing');
    const own = await findLineage(pool, { requestIds: [requestId], tenantId: 'tenant_a', limit: 10 });
    assert.equal(own.requests.length, 1);
    assert.equal(own.attempts.length, 1, 'a tenant sees the attempts of its own requests');
  });

  test('rows past the retention are reaped; newer ones stay', async () => {
    const log = createLogger({ level: 'silent' });
    const recorder = createLineageRecorder({ db: db.pool, log, errors: createBackgroundErrors({ log }) });
    const old = Date.now() - 8 * 86_400_000;
    recorder.recordRequest({
      requestId: 'req_old',
      method: 'GET',
      route: '/x',
      status: 200,
      durationMs: 1,
      at: old,
    });
    recorder.recordRequest({ requestId: 'req_new', method: 'GET', route: '/x', status: 200, durationMs: 1 });
    await recorder.flush();
    // docs:start reap
    const deleted = await reapLineage(db.pool, { olderThan: new Date(Date.now() - 7 * 86_400_000) });
    // docs:end reap
    assert.equal(deleted, 1);
    const left = await findLineage(db.pool, {
      requestIds: ['req_old', 'req_new'],
      tenantId: ALL_TENANTS,
      limit: 10,
    });
    assert.deepEqual(
      left.requests.map((r) => r.requestId),
      ['req_new'],
    );
  });

  test('forgot the migration: the failed flush is reported and the rows wait for the next try', async () => {
    const empty = await createTestDatabase({ template: 'template0' });
    try {
      const reported: Listener[] = [];
      const recorder = createLineageRecorder({
        db: empty.pool,
        log: createLogger({ level: 'silent' }),
        errors: { report: (_component, error) => void reported.push(error) },
      });
      recorder.recordRequest({ requestId: 'req_1', method: 'GET', route: '/x', status: 200, durationMs: 1 });
      await recorder.flush();
      assert.match(String(reported[0]), /lineage_requests/);
      assert.equal(recorder.buffered, 1);
      await migrate(empty.pool, [...lineageMigrations]);
      await recorder.flush();
      assert.equal(recorder.buffered, 0);
      const { rows } = await empty.pool.query('SELECT request_id FROM lineage_requests');
      assert.deepEqual(rows, [{ request_id: 'req_1' }]);
    } finally {
      await empty.close();
    }
  });
});
