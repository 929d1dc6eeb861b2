import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createApiKeyVerifier, createTenant, hashApiKey, revokeApiKey } from '@steadfast/toolkit/auth';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import type { Queryable } from '@steadfast/toolkit/postgres';
import { createFakeClock } from '@steadfast/toolkit/testing';
import { buildTestApp, type TestApp } from './testing.ts';

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

  test('a revoked key → 401 once the cache has expired', async () => {
    const tenant = await app.createTenant();
    const ok = await app.inject({ method: 'GET', url: '/v1/orders', apiKey: tenant.apiKey });
    assert.equal(ok.statusCode, 200);
    await revokeApiKey(app.db.pool, tenant.keyId);
    // the app's verifier runs on the real clock with a 5 s cache; a fresh verifier sees the revocation at once
    const verifier = createApiKeyVerifier({ db: app.db.pool, clock: { now: () => Date.now() } });
    assert.equal(await verifier.verify(tenant.apiKey), undefined);
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
    assert.equal(first?.tenantId, created.tenantId);
    for (let i = 0; i < 100; i++) await verifier.verify(created.apiKey);
    assert.equal(counting.count(), 1);
    await revokeApiKey(app.db.pool, created.keyId);
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
    assert.ok(results.every((r) => r?.tenantId === created.tenantId));
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
