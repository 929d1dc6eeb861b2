/** The Orders API against misbehaving partners (the sandbox), through real sockets. */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { buildTestApp, type TestApp } from './testing.ts';

let sandbox: RunningSandbox;
let app: TestApp;
let skus = 0;

before(async () => {
  sandbox = await startSandbox({ chargeProcessingMs: 0 });
});
after(() => sandbox.close());
// a fresh app (breakers, budgets, caches) and a fresh sandbox for every test
beforeEach(async () => {
  await sandbox.reset();
  app = await buildTestApp({
    partners: {
      urls: sandbox.urls,
      tuning: { pricing: { freshMs: 0 } }, // always ask, so every order exercises the partner
    },
  });
});
afterEach(() => app.close());

async function chaos(partner: 'pricing' | 'recommendations' | 'analytics', config: object) {
  assert.equal((await sandbox.chaos(partner, config)).status, 200);
}
const partnerRequests = (partner: 'pricing') => sandbox.requestsSeen(partner);
function createOrder(sku = `R-${++skus}`) {
  return app.inject({
    method: 'POST',
    url: '/v1/orders',
    payload: { currency: 'EUR', items: [{ sku, quantity: 1 }] },
  });
}
async function breakerOf(name: string): Promise<string> {
  const body = (
    await app.inject({ method: 'GET', url: '/v1/dependencies', apiKey: app.operatorKey })
  ).json() as {
    data: { name: string; breaker: string }[];
  };
  return body.data.find((d) => d.name === name)?.breaker ?? 'missing';
}

describe('pricing (critical, degradable)', () => {
  test('30% of price requests fail with 503: ≥ 99% of orders are still created, with bounded attempts', async () => {
    await chaos('pricing', { seed: 11, rules: [{ fault: 'error', status: 503, probability: 0.3 }] });
    const n = 200;
    let created = 0;
    for (let i = 0; i < n; i++) if ((await createOrder()).statusCode === 201) created++;
    assert.ok(created / n >= 0.99, `${created} of ${n} created`);
    const attempts = await partnerRequests('pricing');
    assert.ok(attempts <= n * 5, `${attempts} attempts`);
    assert.ok(attempts / n < 1.6, `${attempts / n} attempts per order`);
  });

  test('total outage, cold cache: fast 503 problems, the breaker opens, ≤ 1.1 attempts per request after the first 20', async () => {
    await chaos('pricing', { rules: [{ fault: 'error', status: 503 }] });
    let afterTwenty = 0;
    for (let i = 0; i < 80; i++) {
      const response = await createOrder();
      assert.equal(response.statusCode, 503, response.body);
      const problem = response.json();
      assert.equal(problem.type, '/problems/dependency-unavailable');
      assert.equal(problem.dependency, 'pricing');
      assert.ok(response.headers['retry-after']);
      assert.doesNotMatch(response.body, /127\.0\.0\.1|sandbox|api_error/);
      if (i === 19) afterTwenty = await partnerRequests('pricing');
    }
    const later = (await partnerRequests('pricing')) - afterTwenty;
    assert.ok(later / 60 <= 1.1, `${later} partner attempts for the last 60 requests`);
    assert.equal(await breakerOf('pricing'), 'open');
    const { rows } = await app.db.pool.query(
      `SELECT count(*)::int AS n FROM orders WHERE items->0->>'sku' LIKE 'R-%' AND created_at > now() - interval '1 minute' AND status = 'draft' AND total_amount < 0`,
    );
    assert.equal(rows[0].n, 0);
  });

  test('a 429 storm never opens the breaker', async () => {
    await chaos('pricing', { rules: [{ fault: 'rate-limit', retryAfterS: 0 }] });
    for (let i = 0; i < 40; i++) assert.equal((await createOrder()).statusCode, 503);
    assert.equal(await breakerOf('pricing'), 'closed');
  });

  test('outage with a warm cache: orders are created from cached prices, marked stale', async () => {
    const warm = await createOrder('WARM-1');
    assert.equal(warm.json().pricing.stale, false);
    await chaos('pricing', { rules: [{ fault: 'error', status: 503 }] });
    const stale = await createOrder('WARM-1');
    assert.equal(stale.statusCode, 201, stale.body);
    assert.equal(stale.json().pricing.stale, true);
    assert.equal(stale.json().totalAmount, warm.json().totalAmount);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics', apiKey: null })).body;
    assert.match(
      metrics,
      /^steadfast_egress_stale_served_total\{dependency="pricing"\} [1-9]/m,
      'stale serves are counted',
    );
  });

  test('a retried create whose first attempt succeeded replays its 201 even while pricing is down', async () => {
    const key = 'retry-during-outage';
    const payload = { currency: 'EUR', items: [{ sku: `R-${++skus}`, quantity: 1 }] };
    const first = await app.inject({ method: 'POST', url: '/v1/orders', idempotencyKey: key, payload });
    assert.equal(first.statusCode, 201);
    await chaos('pricing', { rules: [{ fault: 'error', status: 503 }] });
    const retry = await app.inject({ method: 'POST', url: '/v1/orders', idempotencyKey: key, payload });
    assert.equal(retry.statusCode, 201, retry.body);
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    assert.equal(retry.body, first.body);
    const fresh = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      idempotencyKey: 'a-new-one',
      payload: { currency: 'EUR', items: [{ sku: `R-${++skus}`, quantity: 1 }] },
    });
    assert.equal(fresh.statusCode, 503, 'a new request with an uncached SKU still needs the partner');
  });

  test('a hanging partner: the answer (504) comes within the deadline plus a little', async () => {
    await chaos('pricing', { rules: [{ fault: 'hang' }] });
    const started = performance.now();
    const response = await createOrder();
    const elapsed = performance.now() - started;
    assert.equal(response.statusCode, 504, response.body);
    assert.equal(response.json().type, '/problems/dependency-timeout');
    // the partner never answers: only the 1 s deadline can end the request (the margin is for a loaded CI machine)
    assert.ok(elapsed < 1000 * 2.5, `answered after ${Math.round(elapsed)} ms`);
  });

  test('Retry-After beyond the deadline is not waited for: the answer is fast', async () => {
    await chaos('pricing', { rules: [{ fault: 'rate-limit', retryAfterS: 2 }] });
    const started = performance.now();
    const response = await createOrder();
    assert.equal(response.statusCode, 503);
    assert.equal(response.headers['retry-after'], '2', "the partner's back-pressure reaches the client");
    const elapsed = performance.now() - started;
    assert.equal(await partnerRequests('pricing'), 1, 'no second attempt');
    assert.ok(elapsed < 500, `answered after ${Math.round(elapsed)} ms`);
  });

  test('an unknown SKU is a 422 pointing at the item, and nothing is written', async () => {
    await fetch(`${sandbox.base}/pricing/v1/prices/NOPE-1`, { method: 'DELETE' });
    const response = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      payload: {
        currency: 'EUR',
        items: [
          { sku: 'OK-1', quantity: 1 },
          { sku: 'NOPE-1', quantity: 1 },
        ],
      },
    });
    assert.equal(response.statusCode, 422);
    assert.equal(response.json().type, '/problems/unknown-sku');
    assert.equal(response.json().errors[0].pointer, '/items/1/sku');
  });
});

describe('non-critical partners never hurt a request', () => {
  test('recommendations down → empty list, degraded, at normal latency', async () => {
    const order = (await createOrder()).json();
    const healthy = (
      await app.inject({ method: 'GET', url: `/v1/orders/${order.id}/recommendations` })
    ).json();
    assert.equal(healthy.degraded, false);
    assert.equal(healthy.items.length, 3);
    await chaos('recommendations', { rules: [{ fault: 'hang' }] });
    const started = performance.now();
    const degraded = await app.inject({ method: 'GET', url: `/v1/orders/${order.id}/recommendations` });
    assert.equal(degraded.statusCode, 200);
    assert.deepEqual(degraded.json(), { items: [], degraded: true });
    assert.ok(performance.now() - started < 150 + 150);
  });

  test('analytics down → orders are created as usual; events are dropped and counted, not waited for', async () => {
    await chaos('analytics', { rules: [{ fault: 'hang' }] });
    for (let i = 0; i < 5; i++) assert.equal((await createOrder()).statusCode, 201);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics', apiKey: null })).body;
    assert.match(metrics, /steadfast_analytics_events_total\{outcome="queued"\} [1-9]/);
  });

  test('GET /v1/dependencies lists every partner with its criticality, and needs an operator key', async () => {
    const body = (
      await app.inject({ method: 'GET', url: '/v1/dependencies', apiKey: app.operatorKey })
    ).json() as {
      data: { name: string; criticality: string }[];
    };
    assert.deepEqual(body.data.map((d) => `${d.name}:${d.criticality}`).sort(), [
      'analytics:non-critical',
      'messaging:deferred',
      'payments:critical',
      'pricing:degradable',
      'recommendations:non-critical',
    ]);
    assert.doesNotMatch(JSON.stringify(body), /127\.0\.0\.1|whsec_/);
    const plain = await app.createTenant();
    assert.equal(
      (await app.inject({ method: 'GET', url: '/v1/dependencies', apiKey: plain.apiKey })).statusCode,
      403,
    );
  });
});
