/** Usage of @steadfast/toolkit/auth on a bare Fastify app: tenants, operators, hashed API keys, scopes, 401/403 problems. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  apiKeyAuth,
  authMigrations,
  createApiKey,
  createApiKeyVerifier,
  createOperator,
  createTenant,
  displayPrefix,
  hashApiKey,
  principalOf,
  requireOperator,
  requireScope,
  requireTenant,
  revokeApiKey,
} from '@steadfast/toolkit/auth';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import { createHttpMetrics, observability } from '@steadfast/toolkit/observability';
import { MigrationError, migrate, type Pool } from '@steadfast/toolkit/postgres';
import { coreProblems, createProblemRegistry, problems } from '@steadfast/toolkit/problems';
import { createFakeClock, createTestDatabase, type TestDatabase } from '@steadfast/toolkit/testing';
import Fastify, { type FastifyInstance } from 'fastify';

const clock = createFakeClock();
const ids = createIdGenerator({ clock });
let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;

async function buildApp(pool: Pool): Promise<FastifyInstance> {
  // docs:start setup
  const verifier = createApiKeyVerifier({ db: pool, clock }); // clock: { now: () => Date.now() } in production
  const app = Fastify();
  await app.register(problems, { registry: createProblemRegistry(coreProblems) });
  await app.register(observability, { metrics: createHttpMetrics() }); // apiKeyAuth needs it
  await app.register(apiKeyAuth, { verifier, protectedPrefixes: ['/api/'] });

  app.get('/api/me', async (request) => principalOf(request)); // { kind, tenantId | operatorId, keyId, scopes }
  app.get('/api/orders', async (request) => {
    const { tenantId } = requireTenant(request); // an operator key: 403
    return { tenantId, orders: [] };
  });
  app.get('/api/admin/stats', async (request) => {
    requireOperator(request); // a tenant key: 403
    return { tenants: 1 };
  });
  app.get('/api/reports', async (request) => {
    requireScope(request, 'reports'); // 403 without the scope
    return { reports: [] };
  });
  app.get('/healthz', async () => ({ status: 'ok' })); // outside the prefixes: no key needed
  // docs:end setup
  app.get('/public/me', async (request) => principalOf(request));
  return app;
}

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  pool = db.pool;
  // docs:start migrate
  await migrate(pool, [...authMigrations]); // at start, with your own migrations
  // docs:end migrate
  app = await buildApp(pool);
  await app.ready();
});
after(async () => {
  await app?.close();
  await db?.close();
});

const me = (authorization?: string, url = '/api/me') =>
  app.inject({ method: 'GET', url, headers: authorization === undefined ? {} : { authorization } });

function assertUnauthorized(response: Awaited<ReturnType<typeof me>>, detail: RegExp) {
  assert.equal(response.statusCode, 401);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  assert.equal(response.headers['www-authenticate'], 'Bearer');
  const body = response.json();
  assert.equal(body.type, '/problems/unauthorized');
  assert.equal(body.status, 401);
  assert.equal(body.category, 'unauthorized');
  assert.equal(body.retryable, false);
  assert.match(body.detail, detail);
}

describe('API keys on a bare Fastify app', () => {
  test('a tenant key authenticates; the principal names tenant, key and scopes', async () => {
    // docs:start tenant
    // ids = createIdGenerator() from @steadfast/toolkit/ids; tenant ids are ten_…, key ids key_…
    const { tenantId, keyId, apiKey } = await createTenant(pool, ids, { name: 'Acme', scopes: ['reports'] });
    // show apiKey (sf_…) once: only its SHA-256 hash is stored
    // docs:end tenant
    const response = await me(`Bearer ${apiKey}`);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { kind: 'tenant', tenantId, keyId, scopes: ['reports'] });
    assert.equal((await me(`bearer   ${apiKey}`)).statusCode, 200, 'the scheme is case-insensitive');
  });

  test('missing, malformed, unknown and too short keys are 401 unauthorized with WWW-Authenticate', async () => {
    assertUnauthorized(await me(), /Send Authorization: Bearer <api key>/);
    for (const bad of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer two words', 'sf_abcdefghijklmnopqrstuvwxyz']) {
      assertUnauthorized(await me(bad), /must be: Bearer <api key>/);
    }
    assertUnauthorized(await me('Bearer sf_unknown_but_well_formed_key_123'), /unknown, revoked or expired/);
    assertUnauthorized(await me('Bearer short'), /unknown, revoked or expired/);
    assertUnauthorized(
      await me('Bearer has.dots.in.it.which.are.not.url.safe'),
      /unknown, revoked or expired/,
    );
  });

  test('a key without the scope is 403 forbidden; with it, 200', async () => {
    const plain = await createTenant(db.pool, ids, { name: 'Plain' });
    const reports = await createTenant(db.pool, ids, { name: 'Reports', scopes: ['reports'] });
    const forbidden = await me(`Bearer ${plain.apiKey}`, '/api/reports');
    assert.equal(forbidden.statusCode, 403);
    const body = forbidden.json();
    assert.equal(body.type, '/problems/forbidden');
    assert.equal(body.category, 'forbidden');
    assert.equal(body.retryable, false);
    assert.match(body.detail, /"reports" scope/);
    assert.equal((await me(`Bearer ${reports.apiKey}`, '/api/reports')).statusCode, 200);
  });

  test("an operator key is nobody's tenant: operator routes only; a tenant key is 403 there", async () => {
    // docs:start operator
    const { operatorId } = await createOperator(pool, ids, { name: 'On-call' }); // opr_…
    const operatorKey = await createApiKey(pool, ids, { operatorId, name: 'pager' }); // .apiKey shown once
    // docs:end operator
    const tenant = await createTenant(db.pool, ids, { name: 'Tenant' });
    const asOperator = await me(`Bearer ${operatorKey.apiKey}`);
    assert.deepEqual(asOperator.json(), { kind: 'operator', operatorId, keyId: operatorKey.id, scopes: [] });
    assert.equal((await me(`Bearer ${operatorKey.apiKey}`, '/api/admin/stats')).statusCode, 200);
    const tenantOnOperator = await me(`Bearer ${tenant.apiKey}`, '/api/admin/stats');
    assert.equal(tenantOnOperator.statusCode, 403);
    assert.match(tenantOnOperator.json().detail, /operator endpoint: a tenant key cannot use it/);
    const operatorOnTenant = await me(`Bearer ${operatorKey.apiKey}`, '/api/orders');
    assert.equal(operatorOnTenant.statusCode, 403);
    assert.equal(operatorOnTenant.json().type, '/problems/forbidden');
    assert.match(operatorOnTenant.json().detail, /Operator keys have no tenant/);
    assert.deepEqual((await me(`Bearer ${tenant.apiKey}`, '/api/orders')).json(), {
      tenantId: tenant.tenantId,
      orders: [],
    });
  });

  test('routes outside the protected prefixes are open; principalOf there is a 401', async () => {
    assert.equal((await me(undefined, '/healthz')).statusCode, 200);
    assertUnauthorized(await me(undefined, '/public/me'), /Send Authorization/);
  });

  test('only a hash and a display prefix are stored; last use is recorded', async () => {
    const { keyId, apiKey } = await createTenant(db.pool, ids, { name: 'Hashed' });
    await me(`Bearer ${apiKey}`);
    const { rows } = await db.pool.query('SELECT * FROM api_keys WHERE id = $1', [keyId]);
    assert.deepEqual(rows[0].key_hash, hashApiKey(apiKey));
    assert.equal(rows[0].prefix, displayPrefix(apiKey));
    assert.equal(rows[0].prefix.length, 7);
    assert.ok(rows[0].last_used_at instanceof Date);
    assert.ok(!JSON.stringify(rows).includes(apiKey));
  });

  test('without keyChanges, a revoked key keeps working until the cache TTL (5 s) passes, then it is 401', async () => {
    const { tenantId, keyId, apiKey } = await createTenant(db.pool, ids, { name: 'Revoked' });
    assert.equal((await me(`Bearer ${apiKey}`)).statusCode, 200);
    // docs:start revoke
    const revoked = await revokeApiKey(pool, { tenantId }, keyId); // false: unknown, another owner's, already revoked
    // docs:end revoke
    assert.equal(revoked, true);
    assert.equal(await revokeApiKey(db.pool, { tenantId }, keyId), false);
    assert.equal((await me(`Bearer ${apiKey}`)).statusCode, 200, 'still cached');
    clock.advance(5_000);
    assertUnauthorized(await me(`Bearer ${apiKey}`), /unknown, revoked or expired/);
  });

  test('an unknown key is remembered for at most 1 s, so a key created just after works quickly', async () => {
    const apiKey = 'sf_created_a_moment_later_0001';
    assertUnauthorized(await me(`Bearer ${apiKey}`), /unknown, revoked or expired/);
    await createTenant(db.pool, ids, { name: 'Late', apiKey });
    assert.equal((await me(`Bearer ${apiKey}`)).statusCode, 401, 'the miss is cached');
    clock.advance(1_000);
    assert.equal((await me(`Bearer ${apiKey}`)).statusCode, 200);
  });

  test('clear() forgets cached verifications at once', async () => {
    const verifier = createApiKeyVerifier({ db: db.pool, clock, cacheTtlMs: 60_000 });
    const { tenantId, keyId, apiKey } = await createTenant(db.pool, ids, { name: 'Cleared' });
    assert.equal((await verifier.verify(apiKey))?.keyId, keyId);
    await revokeApiKey(db.pool, { tenantId }, keyId);
    assert.equal((await verifier.verify(apiKey))?.keyId, keyId);
    verifier.clear();
    assert.equal(await verifier.verify(apiKey), undefined);
  });

  test('createTenant refuses a key that is not 20–200 URL-safe characters', async () => {
    for (const apiKey of ['too-short', 'has spaces in it, far too many of them', 'x'.repeat(201)]) {
      await assert.rejects(createTenant(db.pool, ids, { name: 'Bad', apiKey }), /20-200 URL-safe/);
    }
  });
});

describe('a forgotten migration', () => {
  test('await app.ready() rejects with one clear error naming auth/0001_tenants_and_api_keys', async (t) => {
    const empty = await createTestDatabase({ template: 'template0' }); // no migrate() call
    const forgetful = await buildApp(empty.pool);
    t.after(async () => {
      await forgetful.close().catch(() => {}); // closing an app whose start failed may reject too
      await empty.close();
    });
    await assert.rejects(
      async () => {
        await forgetful.ready();
      },
      (error: Error) => {
        assert.ok(error instanceof MigrationError);
        assert.equal(
          error.message,
          'the database is missing migration auth/0001_tenants_and_api_keys (and 1 more): apply it at start with migrate(pool, [...authMigrations])',
        );
        return true;
      },
    );
  });
});
