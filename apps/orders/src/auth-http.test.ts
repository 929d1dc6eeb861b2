import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createApiKeyVerifier, createTenant, hashApiKey, revokeApiKey } from '@steadfast/toolkit/auth';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import type { Queryable } from '@steadfast/toolkit/postgres';
import { createFakeClock, eventually } from '@steadfast/toolkit/testing';
import { buildTestApp, createOrder, type TestApp } from './testing.ts';

let app: TestApp;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

describe('API key authentication over HTTP', () => {
  const cases: [string, Record<string, string>][] = [
    ['missing', {}],
    ['not Bearer', { authorization: 'Basic abc' }],
    ['malformed key', { authorization: 'Bearer short' }],
    ['unknown key', { authorization: 'Bearer sf_0000000000000000000000000000000' }],
  ];
  for (const [name, headers] of cases) {
    test(`${name} → 401 problem with WWW-Authenticate`, async () => {
      const response = await app.inject({ method: 'GET', url: '/v1/orders', headers, apiKey: null });
      assert.equal(response.statusCode, 401);
      assert.equal(response.json().type, '/problems/unauthorized');
      assert.equal(response.headers['www-authenticate'], 'Bearer');
    });
  }

  test('a key revoked elsewhere (another instance, SQL-free tooling) → 401 within 1 s, not after the 5 s cache', async () => {
    const tenant = await app.createTenant();
    const ok = await app.inject({ method: 'GET', url: '/v1/orders', apiKey: tenant.apiKey });
    assert.equal(ok.statusCode, 200, 'cached now');
    assert.equal(await revokeApiKey(app.db.pool, { tenantId: tenant.tenantId }, tenant.keyId), true);
    await eventually(
      async () =>
        (await app.inject({ method: 'GET', url: '/v1/orders', apiKey: tenant.apiKey })).statusCode === 401,
      { timeoutMs: 1000, message: 'the revoked key still worked after 1 s' },
    );
  });

  test('the key is stored only as a SHA-256 hash', async () => {
    const { rows } = await app.db.pool.query('SELECT key_hash, prefix FROM api_keys WHERE id = $1', [
      app.tenant.keyId,
    ]);
    assert.deepEqual(rows[0].key_hash, hashApiKey(app.tenant.apiKey));
    assert.equal(rows[0].prefix, app.tenant.apiKey.slice(0, 7));
    const { rows: leaks } = await app.db.pool.query(
      `SELECT count(*)::int AS n FROM api_keys WHERE encode(key_hash, 'escape') LIKE '%' || $1 || '%'`,
      [app.tenant.apiKey.slice(3, 20)],
    );
    assert.equal(leaks[0].n, 0);
  });
});

describe('the verifier cache', () => {
  function countingDb(db: Queryable) {
    let queries = 0;
    return {
      db: {
        query: ((...args: Parameters<Queryable['query']>) => {
          queries++;
          return db.query(...args);
        }) as Queryable['query'],
      },
      count: () => queries,
    };
  }

  test('a verified key costs no database round trip until the TTL passes; revocation shows after it', async () => {
    const clock = createFakeClock();
    const created = await createTenant(app.db.pool, createIdGenerator(), { name: 'cache' });
    const counting = countingDb(app.db.pool);
    const verifier = createApiKeyVerifier({ db: counting.db, clock, cacheTtlMs: 5000 });
    const first = await verifier.verify(created.apiKey);
    assert.equal(first?.kind === 'tenant' && first.tenantId, created.tenantId);
    for (let i = 0; i < 100; i++) await verifier.verify(created.apiKey);
    assert.equal(counting.count(), 1);
    await revokeApiKey(app.db.pool, { tenantId: created.tenantId }, created.keyId);
    clock.advance(4999);
    assert.ok(await verifier.verify(created.apiKey), 'still cached within the TTL');
    clock.advance(2);
    assert.equal(await verifier.verify(created.apiKey), undefined);
    assert.equal(counting.count(), 2);
  });

  test('concurrent first uses share one lookup', async () => {
    const created = await createTenant(app.db.pool, createIdGenerator(), { name: 'burst' });
    const counting = countingDb(app.db.pool);
    const verifier = createApiKeyVerifier({ db: counting.db, clock: createFakeClock() });
    const results = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(created.apiKey)));
    assert.ok(results.every((r) => r?.kind === 'tenant' && r.tenantId === created.tenantId));
    assert.equal(counting.count(), 1);
  });

  test('lastUsedAt is recorded on lookup', async () => {
    const created = await createTenant(app.db.pool, createIdGenerator(), { name: 'used' });
    await createApiKeyVerifier({ db: app.db.pool, clock: createFakeClock() }).verify(created.apiKey);
    const { rows } = await app.db.pool.query('SELECT last_used_at FROM api_keys WHERE id = $1', [
      created.keyId,
    ]);
    assert.ok(rows[0].last_used_at instanceof Date);
  });
});

describe('operator keys and tenant keys are apart', () => {
  /** every operator route, as a request a valid caller could send */
  const operatorRoutes = () => [
    { method: 'GET' as const, url: '/v1/dependencies' },
    { method: 'GET' as const, url: '/v1/webhook-events' },
    { method: 'POST' as const, url: '/v1/webhook-events/whk_00000000000000000000000000/replay' },
    { method: 'POST' as const, url: '/v1/reconciliations' },
  ];

  test('every operator route: a tenant key → 403 forbidden; the operator key passes', async () => {
    for (const route of operatorRoutes()) {
      const asTenant = await app.inject({ ...route, idempotencyKey: randomUUID() });
      assert.equal(asTenant.statusCode, 403, `${route.method} ${route.url}`);
      assert.equal(asTenant.json().type, '/problems/forbidden');
      assert.match(asTenant.json().detail, /operator endpoint: a tenant key cannot use it/);
      const asOperator = await app.inject({
        ...route,
        apiKey: app.operatorKey,
        idempotencyKey: randomUUID(),
      });
      assert.ok([200, 202, 404].includes(asOperator.statusCode), `${route.url}: ${asOperator.statusCode}`);
    }
  });

  test('the operator reads its reconciliation operation; a tenant cannot see it', async () => {
    const accepted = await app.inject({
      method: 'POST',
      url: '/v1/reconciliations',
      apiKey: app.operatorKey,
    });
    assert.equal(accepted.statusCode, 202);
    const location = String(accepted.headers.location);
    const read = await app.inject({ method: 'GET', url: location, apiKey: app.operatorKey });
    assert.equal(read.json().kind, 'reconciliation', 'pending or done: the operator reads it');
    assert.equal((await app.inject({ method: 'GET', url: location })).statusCode, 404);
  });

  test('tenant data with an operator key → 403 (operator keys have no tenant)', async () => {
    const order = await createOrder(app);
    const tenantRoutes = [
      { method: 'GET' as const, url: '/v1/orders' },
      {
        method: 'POST' as const,
        url: '/v1/orders',
        payload: { currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1 }] },
      },
      { method: 'GET' as const, url: `/v1/orders/${order.id}` },
      { method: 'POST' as const, url: `/v1/orders/${order.id}/submit` },
      { method: 'GET' as const, url: `/v1/orders/${order.id}/recommendations` },
      { method: 'GET' as const, url: '/v1/api-keys' },
      { method: 'POST' as const, url: '/v1/api-keys', payload: { name: 'x' } },
    ];
    for (const route of tenantRoutes) {
      const response = await app.inject({ ...route, apiKey: app.operatorKey });
      assert.equal(response.statusCode, 403, `${route.method} ${route.url}`);
      assert.match(response.json().detail, /Operator keys have no tenant/);
    }
  });

  test('dead letters: a tenant sees only its own; the operator sees every tenant’s and system ones', async () => {
    const other = await app.createTenant({ name: 'Other' });
    const insert = (id: string, tenantId: string | null) =>
      app.db.pool.query(
        `INSERT INTO dead_letters (id, tenant_id, task, payload, attempts, error_category, error_message, first_failed_at, last_failed_at)
         VALUES ($1, $2, 'take-payment', '{}', 1, 'exhausted', 'x', now(), now())`,
        [id, tenantId],
      );
    await insert('dl_00000000000000000000000001', app.tenant.tenantId);
    await insert('dl_00000000000000000000000002', other.tenantId);
    await insert('dl_00000000000000000000000003', null);
    const ids = async (apiKey?: string) =>
      (await app.inject({ method: 'GET', url: '/v1/dead-letters', apiKey }))
        .json()
        .data.map((d: { id: string }) => d.id);
    assert.deepEqual(await ids(), ['dl_00000000000000000000000001']);
    assert.deepEqual(await ids(other.apiKey), ['dl_00000000000000000000000002']);
    assert.deepEqual(await ids(app.operatorKey), [
      'dl_00000000000000000000000003',
      'dl_00000000000000000000000002',
      'dl_00000000000000000000000001',
    ]);
    const foreign = await app.inject({
      method: 'GET',
      url: '/v1/dead-letters/dl_00000000000000000000000002',
    });
    assert.equal(foreign.statusCode, 404, 'another tenant’s dead letter is not found');
  });
});
