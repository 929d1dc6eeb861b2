/** Usage of @steadfast/toolkit/load-shedding on a bare Fastify app: criticality per route, 503 overloaded at the door. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  type ConcurrencyLimiter,
  createAdaptiveConcurrencyLimit,
  createFixedConcurrencyLimit,
  loadShedding,
  loadSheddingProblems,
} from '@steadfast/toolkit/load-shedding';
import { coreProblems, createProblemRegistry, problems } from '@steadfast/toolkit/problems';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';

const apps: FastifyInstance[] = [];
after(() => Promise.all(apps.map((app) => app.close())));

async function buildApp(limiter: ConcurrencyLimiter, registry = new Registry()) {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  // docs:start plugin
  const app = Fastify();
  await app.register(problems, { registry: createProblemRegistry(coreProblems, loadSheddingProblems) });
  // first among the plugins that add request hooks: a refusal must cost nothing but the 503
  await app.register(loadShedding, {
    limiter, // createAdaptiveConcurrencyLimit({ initialLimit: 20, minLimit: 4, maxLimit: 1000 })
    registry, // prom-client: steadfast_concurrency_limit, steadfast_inflight_requests, steadfast_shed_requests_total
    // a long-poll holds a connection without doing work: admitted by class, not counted, no latency sample
    measure: (request) => !/\bwait=/.test(String(request.headers.prefer ?? '')),
  });

  app.get('/healthz', { config: { criticality: 'exempt' } }, async () => ({ status: 'ok' }));
  app.post('/transfers', { config: { criticality: 'critical' } }, async () => ({ ok: true }));
  app.get('/transfers', { config: { criticality: 'sheddable' } }, async () => {
    await held; // stands for a slow list
    return [];
  });
  app.get('/accounts/:id', async () => ({ balance: 0 })); // no criticality: `normal`
  // docs:end plugin
  apps.push(app);
  await app.ready();
  return { app, release };
}

describe('load shedding on a bare Fastify app', () => {
  test('an adaptive limit: requests pass, the metrics show the limit, in flight returns to 0', async () => {
    const registry = new Registry();
    // docs:start adaptive
    const limiter = createAdaptiveConcurrencyLimit({ initialLimit: 20, minLimit: 4, maxLimit: 1000 });
    // docs:end adaptive
    const { app } = await buildApp(limiter, registry);
    for (let i = 0; i < 50; i++) {
      assert.equal((await app.inject({ method: 'POST', url: '/transfers' })).statusCode, 200);
      assert.equal((await app.inject({ method: 'GET', url: '/accounts/a1' })).statusCode, 200);
    }
    assert.equal(limiter.inflight(), 0);
    const text = await registry.metrics();
    assert.match(text, /steadfast_concurrency_limit \d+/);
    assert.match(text, /steadfast_inflight_requests 0/);
    assert.match(text, /steadfast_shed_requests_total\{criticality="sheddable"\} 0/);
  });

  test('at the limit: sheddable lists are refused with 503 overloaded, critical writes and health pass', async () => {
    // docs:start fixed
    const limiter = createFixedConcurrencyLimit({ fixedLimit: 4 }); // sheddable < 2, normal < 3, critical < 4 in flight
    // docs:end fixed
    const { app, release } = await buildApp(limiter);
    // a long-poll is not counted in flight
    const poll = app.inject({ method: 'GET', url: '/transfers', headers: { prefer: 'wait=10' } });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(limiter.inflight(), 0);

    const lists = [
      app.inject({ method: 'GET', url: '/transfers' }),
      app.inject({ method: 'GET', url: '/transfers' }),
    ];
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(limiter.inflight(), 2);

    const refused = await app.inject({ method: 'GET', url: '/transfers' });
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.headers['retry-after'], '1');
    assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
    assert.deepEqual(
      (({ type, status, category, retryable }) => ({ type, status, category, retryable }))(refused.json()),
      { type: '/problems/overloaded', status: 503, category: 'rate-limited', retryable: true },
    );
    assert.equal((await app.inject({ method: 'POST', url: '/transfers' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/accounts/a1' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);

    release();
    for (const r of await Promise.all([...lists, poll])) assert.equal(r.statusCode, 200);
    assert.equal(limiter.inflight(), 0);
  });
});
