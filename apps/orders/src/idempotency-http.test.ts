import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createFaultPoints, type FaultAction, type FaultPoint } from '@steadfast/toolkit/faults';
import { reapExpiredKeys } from '@steadfast/toolkit/idempotency';
import { buildTestApp, createOrder, ORDER_BODY, type TestApp } from './testing.ts';

const armed = new Map<FaultPoint, FaultAction>();
let app: TestApp;
before(async () => {
  app = await buildTestApp({ faults: createFaultPoints(armed), idempotency: { waitMs: 300 } });
});
after(() => app.close());

function post(url: string, key: string | null, body?: string, apiKey?: string) {
  return app.inject({
    method: 'POST',
    url,
    idempotencyKey: key,
    apiKey,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    payload: body,
  });
}

async function countOrders(tenantId = app.tenant.tenantId): Promise<number> {
  const { rows } = await app.db.pool.query('SELECT count(*)::int AS n FROM orders WHERE tenant_id = $1', [
    tenantId,
  ]);
  return rows[0].n;
}

describe('Idempotency-Key on POST /v1/orders', () => {
  test('missing → 400 idempotency-key-missing; malformed → 400 idempotency-key-invalid; nothing written', async () => {
    const before = await countOrders();
    const missing = await post('/v1/orders', null, JSON.stringify(ORDER_BODY));
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().type, '/problems/idempotency-key-missing');
    assert.equal(missing.json().category, 'idempotency');
    const invalid = await post('/v1/orders', 'has space', JSON.stringify(ORDER_BODY));
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json().type, '/problems/idempotency-key-invalid');
    assert.equal(await countOrders(), before);
  });

  test('50 concurrent identical requests create exactly one order; retries replay identical bytes', async () => {
    const key = randomUUID();
    const body = JSON.stringify({ currency: 'EUR', items: [{ sku: 'STORM-1', quantity: 3 }] });
    const before = await countOrders();
    const responses = await Promise.all(Array.from({ length: 50 }, () => post('/v1/orders', key, body)));
    assert.equal(await countOrders(), before + 1);
    const created = responses.filter((r) => r.statusCode === 201);
    const inFlight = responses.filter((r) => r.statusCode === 409);
    assert.equal(created.length + inFlight.length, 50, responses.map((r) => r.statusCode).join(','));
    assert.ok(created.length >= 1);
    for (const r of created) assert.equal(r.body, created[0].body);
    for (const r of inFlight) {
      assert.equal(r.json().type, '/problems/idempotency-request-in-flight');
      assert.equal(r.json().retryable, true);
      assert.equal(r.headers['retry-after'], '1');
    }
    const original = created.find((r) => r.headers['idempotent-replayed'] === undefined)!;
    for (let i = 0; i < 3; i++) {
      const again = await post('/v1/orders', key, body);
      assert.equal(again.statusCode, 201);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal(again.body, original.body, 'same body bytes');
      for (const h of ['content-type', 'location', 'etag'])
        assert.equal(again.headers[h], original.headers[h], h);
    }
  });

  test('the same JSON with keys reordered and reformatted replays instead of 422', async () => {
    const key = randomUUID();
    const first = await post('/v1/orders', key, '{"currency":"EUR","items":[{"sku":"A-1","quantity":1}]}');
    const second = await post(
      '/v1/orders',
      key,
      '{ "items": [ { "quantity": 1, "sku": "A-1" } ],\n "currency": "EUR" }',
    );
    assert.equal(second.statusCode, 201);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(second.body, first.body);
  });

  test('the same key with a different body → 422 and no write', async () => {
    const key = randomUUID();
    await post('/v1/orders', key, JSON.stringify(ORDER_BODY));
    const before = await countOrders();
    const reused = await post('/v1/orders', key, JSON.stringify({ ...ORDER_BODY, currency: 'USD' }));
    assert.equal(reused.statusCode, 422);
    assert.equal(reused.json().type, '/problems/idempotency-key-reused');
    assert.equal(await countOrders(), before);
  });

  test("the same key from another tenant is another key: a separate order, never the first tenant's body", async () => {
    const other = await app.createTenant();
    const key = randomUUID();
    const mine = await post('/v1/orders', key, JSON.stringify(ORDER_BODY));
    const theirs = await post('/v1/orders', key, JSON.stringify(ORDER_BODY), other.apiKey);
    assert.equal(theirs.statusCode, 201);
    assert.equal(theirs.headers['idempotent-replayed'], undefined);
    assert.notEqual(theirs.json().id, mine.json().id);
    assert.ok(!theirs.body.includes(mine.json().id));
    assert.equal(await countOrders(other.tenantId), 1);
  });

  test('the same key on another route is independent', async () => {
    const key = randomUUID();
    const order = (await post('/v1/orders', key, JSON.stringify(ORDER_BODY))).json();
    const submitted = await post(`/v1/orders/${order.id}/submit`, key);
    assert.equal(submitted.statusCode, 200);
    assert.equal(submitted.json().status, 'submitted');
  });
});

describe('Idempotency-Key on actions', () => {
  test('approve retried after success replays the 200 instead of 409 invalid-transition', async () => {
    const order = await createOrder(app);
    await post(`/v1/orders/${order.id}/submit`, randomUUID());
    const key = randomUUID();
    const first = await post(`/v1/orders/${order.id}/approve`, key);
    assert.equal(first.statusCode, 200);
    const retry = await post(`/v1/orders/${order.id}/approve`, key);
    assert.equal(retry.statusCode, 200);
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    assert.equal(retry.body, first.body);
    const fresh = await post(`/v1/orders/${order.id}/approve`, randomUUID());
    assert.equal(fresh.statusCode, 409, 'a new key really runs again');
  });

  test('a business 409 is stored too: the same key keeps answering it after the state changed', async () => {
    const order = await createOrder(app);
    const key = randomUUID();
    const refused = await post(`/v1/orders/${order.id}/approve`, key);
    assert.equal(refused.statusCode, 409);
    await post(`/v1/orders/${order.id}/submit`, randomUUID());
    const retry = await post(`/v1/orders/${order.id}/approve`, key);
    assert.equal(retry.statusCode, 409);
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    assert.equal(retry.body, refused.body);
  });

  test('the same key on another order (other path parameters) → 422', async () => {
    const a = await createOrder(app);
    const b = await createOrder(app);
    const key = randomUUID();
    await post(`/v1/orders/${a.id}/cancel`, key);
    const reused = await post(`/v1/orders/${b.id}/cancel`, key);
    assert.equal(reused.statusCode, 422);
    const { rows } = await app.db.pool.query('SELECT status FROM orders WHERE id = $1', [b.id]);
    assert.equal(rows[0].status, 'draft');
  });

  test('a stale If-Match (412) is not stored: retrying with the fresh ETag executes', async () => {
    const order = await createOrder(app);
    const key = randomUUID();
    const stale = await app.inject({
      method: 'POST',
      url: `/v1/orders/${order.id}/submit`,
      idempotencyKey: key,
      headers: { 'if-match': '"9"' },
    });
    assert.equal(stale.statusCode, 412);
    const fresh = await app.inject({
      method: 'POST',
      url: `/v1/orders/${order.id}/submit`,
      idempotencyKey: key,
      headers: { 'if-match': '"1"' },
    });
    assert.equal(fresh.statusCode, 200);
  });

  test('a handler failure (5xx) releases the key and rolls back; the retry executes once', async () => {
    const order = await createOrder(app);
    const key = randomUUID();
    armed.set('after-claim-before-commit', 'throw');
    try {
      const failed = await post(`/v1/orders/${order.id}/submit`, key);
      assert.equal(failed.statusCode, 500);
    } finally {
      armed.clear();
    }
    const { rows } = await app.db.pool.query('SELECT status, version FROM orders WHERE id = $1', [order.id]);
    assert.deepEqual(rows[0], { status: 'draft', version: 1 }, 'the write was rolled back');
    const retry = await post(`/v1/orders/${order.id}/submit`, key);
    assert.equal(retry.statusCode, 200);
    assert.equal(retry.headers['idempotent-replayed'], undefined);
    assert.equal(retry.json().version, 2);
  });

  test('a claim whose owner died: 409 while its lease runs, taken over once it expired', async () => {
    const order = await createOrder(app);
    const key = randomUUID();
    // what a process killed between claim and commit leaves behind
    const { requestFingerprint } = await import('@steadfast/toolkit/idempotency');
    await app.db.pool.query(
      `INSERT INTO idempotency_keys (tenant_id, method, route, key, fingerprint, state, owner, lease_expires_at, expires_at)
       VALUES ($1, 'POST', '/v1/orders/:id/submit', $2, $3, 'in_flight', 'dead:1', now() + interval '1 hour', now() + interval '1 day')`,
      [app.tenant.tenantId, key, requestFingerprint(undefined, { id: order.id })],
    );
    const waiting = await post(`/v1/orders/${order.id}/submit`, key);
    assert.equal(waiting.statusCode, 409);
    assert.equal(waiting.json().type, '/problems/idempotency-request-in-flight');
    await app.db.pool.query(
      `UPDATE idempotency_keys SET lease_expires_at = now() - interval '1 second' WHERE key = $1`,
      [key],
    );
    const taken = await post(`/v1/orders/${order.id}/submit`, key);
    assert.equal(taken.statusCode, 200);
    assert.equal(taken.json().status, 'submitted');
    const metrics = (await app.inject({ method: 'GET', url: '/metrics', apiKey: null })).body;
    assert.match(metrics, /steadfast_idempotency_requests_total\{outcome="taken_over"\} [1-9]/);
  });
});

describe('retention', () => {
  test('the reaper deletes expired records; afterwards the key is new', async () => {
    const key = randomUUID();
    const first = (await post('/v1/orders', key, JSON.stringify(ORDER_BODY))).json();
    await app.db.pool.query(
      `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`,
      [key],
    );
    const again = await post('/v1/orders', key, JSON.stringify(ORDER_BODY));
    assert.equal(again.statusCode, 201);
    assert.equal(again.headers['idempotent-replayed'], undefined, 'an expired key counts as new');
    assert.notEqual(again.json().id, first.id);
    await app.db.pool.query(
      `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`,
      [key],
    );
    assert.ok((await reapExpiredKeys(app.db.pool, 1)) >= 1);
    const { rows } = await app.db.pool.query(
      'SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1',
      [key],
    );
    assert.equal(rows[0].n, 0);
  });

  test('metrics count executions and replays', async () => {
    const metrics = (await app.inject({ method: 'GET', url: '/metrics', apiKey: null })).body;
    assert.match(metrics, /steadfast_idempotency_requests_total\{outcome="executed"\} [1-9]/);
    assert.match(metrics, /steadfast_idempotency_requests_total\{outcome="replayed"\} [1-9]/);
    assert.match(metrics, /steadfast_idempotency_requests_total\{outcome="fingerprint_mismatch"\} [1-9]/);
  });
});
