/** Lineage in the Orders app: /v1 requests are recorded with their tenant, template route, outcome and refs. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { findLineage } from '@steadfast/toolkit/lineage';
import { ALL_TENANTS } from '@steadfast/toolkit/postgres';
import { buildTestApp, ORDER_BODY, type TestApp } from '../testing.ts';

let app: TestApp;
before(async () => {
  app = await buildTestApp();
});
after(() => app?.close());

test('a create and its replay carry the order id; health and metrics are not recorded', async () => {
  const first = await app.inject({
    method: 'POST',
    url: '/v1/orders',
    payload: ORDER_BODY,
    idempotencyKey: 'lin-1',
  });
  assert.equal(first.statusCode, 201);
  const orderId = first.json().id as string;
  const replay = await app.inject({
    method: 'POST',
    url: '/v1/orders',
    payload: ORDER_BODY,
    idempotencyKey: 'lin-1',
  });
  assert.equal(replay.headers['idempotent-replayed'], 'true');
  const read = await app.inject({ method: 'GET', url: `/v1/orders/${orderId}` });
  assert.equal(read.statusCode, 200);
  await app.inject({ method: 'GET', url: '/healthz', apiKey: null });
  await app.inject({ method: 'GET', url: '/metrics', apiKey: null });
  await app.built.lineage?.flush();

  const found = await findLineage(app.db.pool, { refs: [orderId], tenantId: app.tenant.tenantId, limit: 10 });
  assert.deepEqual(
    found.requests.map((r) => [r.method, r.route, r.status, r.tenantId, r.idempotencyOutcome]).reverse(),
    [
      ['POST', '/v1/orders', 201, app.tenant.tenantId, 'executed'],
      ['POST', '/v1/orders', 201, app.tenant.tenantId, 'replayed'],
      ['GET', '/v1/orders/{id}', 200, app.tenant.tenantId, null],
    ],
  );
  assert.equal(found.requests[2].requestId, first.headers['x-request-id']);
  const { rows } = await app.db.pool.query(
    `SELECT count(*)::int AS n FROM lineage_requests WHERE route NOT LIKE '/v1/%'`,
  );
  assert.equal(rows[0].n, 0);
  const other = await app.createTenant();
  const hidden = await findLineage(app.db.pool, { refs: [orderId], tenantId: other.tenantId, limit: 10 });
  assert.equal(hidden.requests.length, 0, 'another tenant sees none of it');
  const operatorView = await findLineage(app.db.pool, { refs: [orderId], tenantId: ALL_TENANTS, limit: 10 });
  assert.equal(operatorView.requests.length, 3);
});

test('LINEAGE off: nothing is recorded', async () => {
  const off = await buildTestApp({ lineage: { enabled: false } });
  try {
    assert.equal(off.built.lineage, undefined);
    assert.equal(
      (await off.inject({ method: 'POST', url: '/v1/orders', payload: ORDER_BODY })).statusCode,
      201,
    );
    const { rows } = await off.db.pool.query('SELECT count(*)::int AS n FROM lineage_requests');
    assert.equal(rows[0].n, 0);
  } finally {
    await off.close();
  }
});
