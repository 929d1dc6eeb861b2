/** The pricing adapter against the sandbox: batches, per-SKU unknowns and staleness, our overload is not the partner's. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { createLogger } from '@steadfast/toolkit/observability';
import { ProblemError } from '@steadfast/toolkit/problems';
import { createDependencyClient, createEgressMetrics } from '@steadfast/toolkit/resilience';
import { createFakeClock } from '@steadfast/toolkit/testing';
import { UnknownSkuError } from '../domain/pricing.ts';
import { createPricingAdapter } from './pricing.ts';

let sandbox: RunningSandbox;
before(async () => {
  sandbox = await startSandbox();
});
after(() => sandbox.close());
beforeEach(() => sandbox.reset());

function adapterWith(bulkhead = { maxConcurrent: 8, maxQueue: 100 }) {
  const clock = createFakeClock(Date.now());
  const client = createDependencyClient({
    name: 'pricing',
    baseUrl: sandbox.urls.pricingUrl,
    criticality: 'degradable',
    attemptTimeoutMs: 2000,
    maxAttempts: 1,
    bulkhead,
    log: createLogger({ level: 'silent' }),
    metrics: createEgressMetrics(),
  });
  return { clock, client, prices: createPricingAdapter({ client, clock, freshMs: 1000, deadlineMs: 5000 }) };
}

test('250 SKUs in one quote → 3 batch requests (≤ 100 each); a repeat within freshMs asks nothing', async () => {
  const { prices, client } = adapterWith();
  const skus = Array.from({ length: 250 }, (_, i) => `PB-${i}`);
  const seen = await sandbox.requestsSeen('pricing');
  const quote = await prices.quote(skus, 'EUR');
  assert.equal(quote.unitAmounts.size, 250);
  assert.equal(quote.stale, false);
  assert.equal((await sandbox.requestsSeen('pricing')) - seen, 3);
  await prices.quote(skus.slice(0, 10), 'EUR');
  assert.equal((await sandbox.requestsSeen('pricing')) - seen, 3);
  await client.close();
});

test('quotes in two currencies asked in the same tick: one batch request per currency, each priced in its own', async () => {
  const { prices, client } = adapterWith();
  const seen = await sandbox.requestsSeen('pricing');
  const [usd, eur] = await Promise.all([
    prices.quote(['PB-C1'], 'USD'),
    prices.quote(['PB-C2', 'PB-C1'], 'EUR'),
  ]);
  assert.deepEqual([...usd.unitAmounts.keys()], ['PB-C1']);
  assert.deepEqual([...eur.unitAmounts.keys()].sort(), ['PB-C1', 'PB-C2']);
  assert.equal((await sandbox.requestsSeen('pricing')) - seen, 2);
  await client.close();
});

test('an unknown SKU in a batch fails only as unknown-sku (never from the cache); the others are priced', async () => {
  const { prices, client } = adapterWith();
  await fetch(`${sandbox.base}/pricing/v1/prices/PB-GONE`, { method: 'DELETE' });
  await assert.rejects(
    prices.quote(['PB-A', 'PB-GONE'], 'EUR'),
    (e) => e instanceof UnknownSkuError && e.sku === 'PB-GONE',
  );
  assert.equal((await prices.quote(['PB-A'], 'EUR')).unitAmounts.size, 1);
  await client.close();
});

test('the partner fails: cached SKUs are served stale per SKU; an uncached one fails the quote', async () => {
  const { prices, client, clock } = adapterWith();
  await prices.quote(['PB-S1', 'PB-S2'], 'EUR');
  clock.advance(2000); // older than freshMs
  assert.equal((await sandbox.chaos('pricing', { rules: [{ fault: 'error', status: 503 }] })).status, 200);
  const stale = await prices.quote(['PB-S1', 'PB-S2'], 'EUR');
  assert.equal(stale.stale, true);
  await assert.rejects(prices.quote(['PB-S1', 'PB-NEW'], 'EUR'), (e) => !(e instanceof ProblemError));
  await client.close();
});

test('our bulkhead full is `overloaded` (our capacity), not a dependency problem, and the breaker stays closed', async () => {
  const { prices, client } = adapterWith({ maxConcurrent: 1, maxQueue: 0 });
  assert.equal(
    (await sandbox.chaos('pricing', { rules: [{ fault: 'latency', latencyMs: 300 }] })).status,
    200,
  );
  const first = prices.quote(['PB-O1'], 'EUR');
  await new Promise((resolve) => setImmediate(resolve)); // the first batch holds the one slot
  await assert.rejects(
    prices.quote(['PB-O2'], 'EUR'),
    (e) => e instanceof ProblemError && e.slug === 'overloaded' && e.headers['Retry-After'] === '1',
  );
  assert.equal((await first).unitAmounts.size, 1);
  assert.equal(client.status().breaker, 'closed');
  await client.close();
});
