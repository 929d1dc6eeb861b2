/** Failed-auth traffic costs no database round trip per request: the negative cache and the per-address throttle. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  apiKeyAuth,
  authMigrations,
  createApiKeyVerifier,
  createAuthFailureThrottle,
  createTenant,
  principalOf,
} from '@steadfast/toolkit/auth';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import { createHttpMetrics, observability } from '@steadfast/toolkit/observability';
import { migrate } from '@steadfast/toolkit/postgres';
import { coreProblems, createProblemRegistry, type ProblemType, problems } from '@steadfast/toolkit/problems';
import { createFakeClock, createTestDatabase, type TestDatabase } from '@steadfast/toolkit/testing';
import Fastify from 'fastify';

/** the rate-limits block owns this type; the auth plugin only throws it */
const RATE_LIMITED: ProblemType = {
  slug: 'rate-limited',
  status: 429,
  title: 'Too many requests',
  category: 'rate-limited',
  retryable: true,
  description: 'Slow down; retry after Retry-After.',
};

const clock = createFakeClock();
const ids = createIdGenerator({ clock });
let db: TestDatabase;

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...authMigrations]);
});
after(() => db?.close());

async function buildApp(withThrottle: boolean) {
  const verifier = createApiKeyVerifier({ db: db.pool, clock });
  const metrics = createHttpMetrics();
  const app = Fastify();
  await app.register(problems, { registry: createProblemRegistry(coreProblems, [RATE_LIMITED]) });
  await app.register(observability, { metrics });
  // docs:start failures
  const failures = createAuthFailureThrottle({ maxFailures: 5, windowS: 60, clock });
  await app.register(apiKeyAuth, {
    verifier,
    protectedPrefixes: ['/api/'],
    failures: withThrottle ? failures : undefined, // ≥ 5 failures in 60 s from one address: 429, no lookup
    registry: metrics.registry, // steadfast_auth_failures_total{reason}
  });
  // docs:end failures
  app.get('/api/me', async (request) => principalOf(request));
  await app.ready();
  return { app, verifier, metrics };
}

const randomKey = () => `sf_${randomBytes(24).toString('base64url')}`;

async function failureCounts(registry: ReturnType<typeof createHttpMetrics>['registry']) {
  const metric = await registry.getSingleMetric('steadfast_auth_failures_total')?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [v.labels.reason, v.value]));
}

describe('failed authentication', () => {
  test('N requests with the same unknown key cost one lookup (the negative cache)', async (t) => {
    const { app, verifier } = await buildApp(false);
    t.after(() => app.close());
    const key = randomKey();
    for (let i = 0; i < 20; i++) {
      const response = await app.inject({ url: '/api/me', headers: { authorization: `Bearer ${key}` } });
      assert.equal(response.statusCode, 401);
    }
    assert.equal(verifier.lookups(), 1);
  });

  test('random unknown keys from one address: after maxFailures, 429 without lookups; a cached valid key still passes', async (t) => {
    const { app, verifier, metrics } = await buildApp(true);
    t.after(() => app.close());
    const good = await createTenant(db.pool, ids, { name: 'Good' });
    const fresh = await createTenant(db.pool, ids, { name: 'Fresh' });
    const from = (remoteAddress: string, authorization?: string) =>
      app.inject({ url: '/api/me', remoteAddress, headers: authorization ? { authorization } : {} });
    assert.equal((await from('10.0.0.1', `Bearer ${good.apiKey}`)).statusCode, 200, 'cached now');

    for (let i = 0; i < 4; i++)
      assert.equal((await from('10.0.0.1', `Bearer ${randomKey()}`)).statusCode, 401);
    assert.equal((await from('10.0.0.1')).statusCode, 401, 'a missing header counts too');
    const lookups = verifier.lookups();
    for (let i = 0; i < 50; i++) {
      const refused = await from('10.0.0.1', `Bearer ${randomKey()}`);
      assert.equal(refused.statusCode, 429);
      assert.equal(refused.headers['retry-after'], '60');
      assert.equal(refused.json().type, '/problems/rate-limited');
      assert.match(refused.json().detail, /Too many failed authentications/);
    }
    assert.equal(verifier.lookups(), lookups, 'no database lookup while throttled');
    assert.equal(
      (await from('10.0.0.1', `Bearer ${good.apiKey}`)).statusCode,
      200,
      'a cached valid key passes',
    );
    assert.equal(
      (await from('10.0.0.1', `Bearer ${fresh.apiKey}`)).statusCode,
      429,
      'an uncached one waits too',
    );
    assert.equal(
      (await from('10.0.0.2', `Bearer ${randomKey()}`)).statusCode,
      401,
      'other addresses are not',
    );
    assert.deepEqual(await failureCounts(metrics.registry), { unknown: 5, missing: 1, throttled: 51 });

    clock.advance(30_000);
    assert.equal((await from('10.0.0.1')).headers['retry-after'], '30');
    clock.advance(30_000);
    assert.equal((await from('10.0.0.1', `Bearer ${fresh.apiKey}`)).statusCode, 200, 'the window ended');
  });

  test('the throttle refuses nonsense options and forgets the oldest address beyond maxAddresses', () => {
    assert.throws(() => createAuthFailureThrottle({ maxFailures: 0, windowS: 1, clock }), /maxFailures/);
    assert.throws(() => createAuthFailureThrottle({ maxFailures: 1, windowS: -1, clock }), /windowS/);
    const throttle = createAuthFailureThrottle({ maxFailures: 1, windowS: 10, clock, maxAddresses: 2 });
    for (const address of ['a', 'b', 'c']) throttle.recordFailure(address);
    assert.equal(throttle.retryAfterS('a'), undefined, 'forgotten');
    assert.equal(throttle.retryAfterS('c'), 10);
  });
});
