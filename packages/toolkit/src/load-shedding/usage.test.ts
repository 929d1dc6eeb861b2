/** Usage of @steadfast/toolkit/load-shedding on a bare Fastify app: criticality per route, 503 overloaded before Fastify. */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  type ConcurrencyLimiter,
  createAdaptiveConcurrencyLimit,
  createFixedConcurrencyLimit,
  createLoadShedding,
  loadSheddingProblems,
} from '@steadfast/toolkit/load-shedding';
import { createRequestIdGenerator } from '@steadfast/toolkit/observability';
import {
  coreProblems,
  createProblemRegistry,
  problemServerOptions,
  problems,
} from '@steadfast/toolkit/problems';
import { eventually } from '@steadfast/toolkit/testing';
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
  const problemTypes = createProblemRegistry(coreProblems, loadSheddingProblems);
  const genReqId = createRequestIdGenerator();
  const shedding = createLoadShedding({
    limiter, // createAdaptiveConcurrencyLimit({ initialLimit: 20, minLimit: 4, maxLimit: 1000 })
    registry, // prom-client: steadfast_concurrency_limit, steadfast_inflight_requests, steadfast_shed_requests_total
    requestId: genReqId, // a refusal's X-Request-Id looks like every other
    // a long-poll holds a connection without doing work: admitted by class, not counted, no latency sample
    measure: (request) => !/\bwait=/.test(String(request.headers.prefer ?? '')),
  });
  // the gate runs in the server's request handler, before Fastify: a refusal costs a prebuilt 503
  const app = Fastify({
    ...problemServerOptions({ registry: problemTypes }),
    serverFactory: shedding.serverFactory,
    genReqId,
  });
  await app.register(problems, { registry: problemTypes });
  await app.register(shedding.plugin); // before the routes: it classifies each one as it is added

  app.get('/healthz', { config: { criticality: 'exempt' } }, async () => ({ status: 'ok' }));
  app.post('/transfers', { config: { criticality: 'critical' } }, async () => ({ ok: true }));
  app.get('/transfers', { config: { criticality: 'sheddable' } }, async () => {
    await held; // stands for a slow list
    return [];
  });
  app.get('/accounts/:id', async () => ({ balance: 0 })); // no criticality: `normal`
  // docs:end plugin
  apps.push(app);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base, release };
}

describe('load shedding on a bare Fastify app', () => {
  test('an adaptive limit: requests pass, the metrics show the limit, in flight returns to 0', async () => {
    const registry = new Registry();
    // docs:start adaptive
    const limiter = createAdaptiveConcurrencyLimit({ initialLimit: 20, minLimit: 4, maxLimit: 1000 });
    // docs:end adaptive
    const { base } = await buildApp(limiter, registry);
    for (let i = 0; i < 50; i++) {
      const writes = await fetch(`${base}/transfers`, { method: 'POST' });
      assert.equal(writes.status, 200);
      await writes.arrayBuffer();
      const read = await fetch(`${base}/accounts/a1`);
      assert.equal(read.status, 200);
      await read.arrayBuffer();
    }
    await eventually(() => limiter.inflight() === 0);
    const text = await registry.metrics();
    assert.match(text, /steadfast_concurrency_limit \d+/);
    assert.match(text, /steadfast_inflight_requests 0/);
    assert.match(text, /steadfast_shed_requests_total\{criticality="sheddable"\} 0/);
  });

  test('at the limit: sheddable lists are refused with 503 overloaded, critical writes and health pass', async () => {
    // docs:start fixed
    const limiter = createFixedConcurrencyLimit({ fixedLimit: 4 }); // sheddable < 2, normal < 3, critical < 4 in flight
    // docs:end fixed
    const { app, base, release } = await buildApp(limiter);
    // a long-poll is not counted in flight
    const poll = fetch(`${base}/transfers`, { headers: { prefer: 'wait=10' } });
    const lists = [fetch(`${base}/transfers`), fetch(`${base}/transfers`)];
    await eventually(() => limiter.inflight() === 2);

    const refused = await fetch(`${base}/transfers`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.match(String(refused.headers.get('content-type')), /^application\/problem\+json/);
    assert.deepEqual(
      (({ type, status, category, retryable }) => ({ type, status, category, retryable }))(
        (await refused.json()) as Record<string, unknown>,
      ),
      { type: '/problems/overloaded', status: 503, category: 'rate-limited', retryable: true },
    );
    assert.equal((await fetch(`${base}/transfers`, { method: 'POST' })).status, 200);
    assert.equal((await fetch(`${base}/accounts/a1`)).status, 200);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    // app.inject does not pass through the server: it is never shed
    assert.equal((await app.inject({ method: 'GET', url: '/accounts/a1' })).statusCode, 200);

    release();
    for (const r of await Promise.all([...lists, poll])) assert.equal(r.status, 200);
    await eventually(() => limiter.inflight() === 0);
  });
});
