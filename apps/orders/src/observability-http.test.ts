import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseTraceparent } from '@steadfast/toolkit/observability';
import { buildTestApp, createOrder, type TestApp } from './testing.ts';

let app: TestApp;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

describe('request ids', () => {
  test('a sane incoming X-Request-Id is echoed and used in the problem body', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/nope',
      headers: { 'x-request-id': 'client-42.a:b' },
    });
    assert.equal(response.headers['x-request-id'], 'client-42.a:b');
    assert.equal(response.json().requestId, 'client-42.a:b');
  });

  test('an insane one is replaced by a generated id', async () => {
    for (const bad of ['has space', 'x'.repeat(129), '<script>']) {
      const response = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': bad } });
      assert.match(String(response.headers['x-request-id']), /^req_[A-Za-z0-9_-]{16}$/);
    }
  });

  test('every response carries one, even 401s', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/orders', apiKey: null });
    assert.equal(response.statusCode, 401);
    assert.ok(response.headers['x-request-id']);
  });
});

describe('traceparent', () => {
  test('valid headers parse; invalid ones are ignored', () => {
    const tp = parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    assert.equal(tp?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(tp?.parentId, '00f067aa0ba902b7');
    assert.equal(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), undefined);
    assert.equal(parseTraceparent('ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), undefined);
    assert.equal(parseTraceparent('garbage'), undefined);
  });
});

describe('logs', () => {
  test('one completion line per request with route template, status, duration, tenant and request id', async () => {
    const order = await createOrder(app);
    await app.inject({
      method: 'GET',
      url: `/v1/orders/${order.id}`,
      headers: { 'x-request-id': 'log-line-1' },
    });
    const lines = app.logs.lines().filter((l) => l.requestId === 'log-line-1');
    assert.equal(lines.length, 1);
    assert.equal(lines[0].msg, 'request completed');
    assert.equal(lines[0].method, 'GET');
    assert.equal(lines[0].route, '/v1/orders/:id');
    assert.equal(lines[0].status, 200);
    assert.equal(typeof lines[0].durationMs, 'number');
    assert.equal(lines[0].tenantId, app.tenant.tenantId);
  });

  test('API keys never reach the log', async () => {
    await app.inject({ method: 'GET', url: '/v1/orders' });
    await app.inject({ method: 'GET', url: '/v1/orders', apiKey: 'sf_wrong_key_but_long_enough_123' });
    assert.ok(!app.logs.text().includes(app.tenant.apiKey));
    assert.ok(!app.logs.text().includes('sf_wrong_key_but_long_enough_123'));
  });
});

describe('metrics and health', () => {
  test('/metrics exposes the HTTP duration histogram by route template and status', async () => {
    await createOrder(app);
    const response = await app.inject({ method: 'GET', url: '/metrics', apiKey: null });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain/);
    assert.match(
      response.body,
      /steadfast_http_request_duration_seconds_count\{method="POST",route="\/v1\/orders",status="201"\} \d+/,
    );
  });

  test('/healthz and /readyz need no key', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/healthz', apiKey: null })).statusCode, 200);
    const ready = await app.inject({ method: 'GET', url: '/readyz', apiKey: null });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready' });
  });

  test('/readyz is a 503 problem when a migration is missing', async () => {
    const { rows } = await app.db.pool.query(
      `DELETE FROM steadfast_schema_migrations WHERE id = 'orders/0002_payment_attempts' RETURNING *`,
    );
    try {
      const ready = await app.inject({ method: 'GET', url: '/readyz', apiKey: null });
      assert.equal(ready.statusCode, 503);
      assert.equal(ready.json().type, '/problems/not-ready');
      assert.match(ready.json().detail, /migrations/);
    } finally {
      await app.db.pool.query('INSERT INTO steadfast_schema_migrations (id, checksum) VALUES ($1, $2)', [
        rows[0].id,
        rows[0].checksum,
      ]);
    }
  });
});
