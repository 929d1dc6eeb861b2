/** Usage of @steadfast/toolkit/rate-limits on a bare Fastify app: headers, 429 problems, refunds, overrides, a forgotten migration. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemClock } from '@steadfast/toolkit/ids';
import { createBackgroundErrors, createLogger } from '@steadfast/toolkit/observability';
import { migrate, type Pool } from '@steadfast/toolkit/postgres';
import { coreProblems, createProblemRegistry, problems } from '@steadfast/toolkit/problems';
import {
  createPostgresRateLimitStore,
  createRateLimiter,
  createRateLimitMetrics,
  type RateLimitPolicies,
  rateLimitMigrations,
  rateLimitProblems,
  rateLimits,
  setRateLimitOverride,
} from '@steadfast/toolkit/rate-limits';
import { createTestDatabase, eventually, type TestDatabase } from '@steadfast/toolkit/testing';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyRequest {
    tenant: string | undefined;
  }
}

// docs:start app
const policies: RateLimitPolicies = {
  writes: { limit: 3, windowS: 60 },
  reads: { limit: 100, windowS: 60 },
};

async function buildApp(pool: Pool, registry: Registry): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(problems, { registry: createProblemRegistry(coreProblems, rateLimitProblems) });
  // your authentication first: its onRequest hook runs before the limiter's
  app.decorateRequest('tenant', undefined);
  app.addHook('onRequest', async (request) => {
    request.tenant = request.headers['x-tenant'] as string | undefined;
  });
  const limiter = createRateLimiter({
    policies,
    clock: systemClock,
    // several instances share each limit through Postgres; without a store it is one process's
    store: createPostgresRateLimitStore({
      db: pool,
      instanceId: `web-${process.pid}`,
      clock: systemClock,
      errors: createBackgroundErrors({ log: createLogger(), registry }),
      registry,
      overridesReloadMs: 50, // default 5000
    }),
  });
  await app.register(rateLimits, {
    limiter,
    metrics: createRateLimitMetrics(registry),
    partitionOf: (request) => request.tenant,
    classOf: (request: FastifyRequest) =>
      request.url.startsWith('/health') ? undefined : request.method === 'GET' ? 'reads' : 'writes',
  });

  app.get('/healthz', async () => ({ ok: true }));
  app.get('/notes', async () => []);
  app.post('/notes', async (request, reply) => {
    // an answer that did no new work (e.g. an idempotent replay) gives its unit back
    if (request.headers['x-replay']) request.rateLimit?.refund();
    return reply.code(201).send({ id: 1 });
  });
  return app;
}
// docs:end app

let db: TestDatabase;
let app: FastifyInstance;
const registry = new Registry();

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  // docs:start start
  await migrate(db.pool, [...rateLimitMigrations]); // at deploy or start, before serving
  app = await buildApp(db.pool, registry);
  await app.ready(); // checks the migration, loads overrides, first sync
  // docs:end start
});
after(async () => {
  await app?.close();
  await db?.close();
});

const send = (method: 'GET' | 'POST', tenant: string, headers: Record<string, string> = {}) =>
  app.inject({ method, url: '/notes', headers: { 'x-tenant': tenant, ...headers } });

describe('rate limits', () => {
  test('every limited response carries RateLimit-Policy and RateLimit', async () => {
    const response = await send('GET', 'acme');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['ratelimit-policy'], '"reads";q=100;w=60');
    assert.match(String(response.headers.ratelimit), /^"reads";r=99;t=\d+$/);
  });

  test('over the limit → 429 rate-limited problem with Retry-After and the headers', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await send('POST', 'busy')).statusCode, 201);
    const refused = await send('POST', 'busy');
    assert.equal(refused.statusCode, 429);
    assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
    const body = refused.json();
    assert.equal(body.type, '/problems/rate-limited');
    assert.equal(body.category, 'rate-limited');
    assert.equal(body.retryable, true);
    assert.match(String(refused.headers['retry-after']), /^[1-9]\d*$/);
    assert.equal(refused.headers['ratelimit-policy'], '"writes";q=3;w=60');
    assert.match(String(refused.headers.ratelimit), /^"writes";r=0;t=[1-9]\d*$/);
    assert.match(
      await registry.getSingleMetricAsString('steadfast_rate_limited_total'),
      /class="writes"\} 1/,
    );
    // other tenants and other classes are not affected
    assert.equal((await send('POST', 'quiet')).statusCode, 201);
    assert.equal((await send('GET', 'busy')).statusCode, 200);
  });

  test('routes without a class carry no headers and are never limited', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-tenant': 'busy' } });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['ratelimit-policy'], undefined);
    assert.equal(response.headers.ratelimit, undefined);
  });

  test('a refunded request costs nothing: five refunded replays leave the quota whole', async () => {
    assert.equal((await send('POST', 'replays')).statusCode, 201);
    for (let i = 0; i < 5; i++)
      assert.equal((await send('POST', 'replays', { 'x-replay': '1' })).statusCode, 201);
    assert.equal((await send('POST', 'replays')).statusCode, 201);
    assert.equal((await send('POST', 'replays')).statusCode, 201);
    assert.equal((await send('POST', 'replays')).statusCode, 429);
  });

  test('a per-tenant override stored in the database applies within the reload interval', async () => {
    // docs:start override
    await setRateLimitOverride(
      db.pool,
      { partition: 'big-customer', className: 'writes', limit: 1000, windowS: 60 },
      Object.keys(policies), // an unknown class is refused
    );
    // docs:end override
    await eventually(
      async () => (await send('POST', 'big-customer')).headers['ratelimit-policy'] === '"writes";q=1000;w=60',
      { message: 'the override is applied' },
    );
  });
});

describe('a forgotten migration', () => {
  test('fails the start, naming it', async () => {
    const empty = await createTestDatabase({ template: 'template0' });
    const unmigrated = await buildApp(empty.pool, new Registry());
    try {
      await assert.rejects(async () => {
        await unmigrated.ready();
      }, /missing migration rate-limits\/0001_rate_limits.*rateLimitMigrations/);
    } finally {
      await unmigrated.close().catch(() => {});
      await empty.close();
    }
  });
});
