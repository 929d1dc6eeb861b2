/**
 * Issue 20 item 5: a burst against a HEALTHY pricing partner never blames it.
 * 100 idempotency keys × 10 concurrent retries each = 1,000 concurrent
 * creates of 100-item orders over 100 SKUs nobody has priced yet. Waiting in
 * our own bulkhead queue is not a partner timeout, identical lookups in
 * flight are coalesced into batches, and concurrent duplicates of one key
 * wait for the first: no `dependency-*` problem, the breaker stays closed,
 * a handful of partner calls, one order per key.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { buildTestApp, type TestApp } from './testing.ts';

const KEYS = 100;
const RETRIES_PER_KEY = 10;
const SKUS = 100;

let sandbox: RunningSandbox;
let app: TestApp;

before(async () => {
  sandbox = await startSandbox({ chargeProcessingMs: 0 });
  // the sandbox answers from this very process, which the burst keeps busy: under a whole test
  // suite on two cores its answer can take over a second, a real timeout by the production 300 ms.
  // A generous attempt timeout keeps this test about our own queueing, not the machine's load.
  app = await buildTestApp({
    partners: { urls: sandbox.urls, tuning: { pricing: { attemptTimeoutMs: 5000, deadlineMs: 20_000 } } },
  });
});
after(async () => {
  await app?.close();
  await sandbox?.close();
});

test('1,000 concurrent creates (100 keys × 10 retries, 100 new SKUs) against a healthy partner: no dependency problem, breaker closed, one order per key', async () => {
  const run = randomUUID().slice(0, 8).toUpperCase();
  const skus = Array.from({ length: SKUS }, (_, i) => `BURST-${run}-${i}`);
  const keys = Array.from({ length: KEYS }, (_, k) => ({
    key: `burst-${run}-${k}`,
    body: { currency: 'EUR', items: skus.map((sku, i) => ({ sku, quantity: 1 + ((i + k) % 3) })) },
  }));
  const seenBefore = await sandbox.requestsSeen('pricing');

  const responses = await Promise.all(
    keys.flatMap(({ key, body }) =>
      Array.from({ length: RETRIES_PER_KEY }, () =>
        app
          .inject({ method: 'POST', url: '/v1/orders', payload: body, idempotencyKey: key })
          .then((response) => ({ key, response })),
      ),
    ),
  );

  const byStatus = new Map<string, number>();
  for (const { response } of responses) {
    const type = response.statusCode >= 400 ? ` ${response.json().type}` : '';
    const label = `${response.statusCode}${type}`;
    byStatus.set(label, (byStatus.get(label) ?? 0) + 1);
  }
  const partnerCalls = (await sandbox.requestsSeen('pricing')) - seenBefore;
  const attempts = app.logs
    .lines()
    .filter((l) => l.msg === 'egress' && l.dependency === 'pricing')
    .map((l) => `${l.status ?? '-'} ${l.outcome} ${l.durationMs} ms`);
  const breaker = app.built.partners?.clients.find((c) => c.name === 'pricing')?.status().breaker;
  const summary = `${JSON.stringify(Object.fromEntries(byStatus))}, ${partnerCalls} partner calls [${attempts.join(', ')}], breaker ${breaker}`;
  console.log(`pricing burst: ${summary}`);

  const dependencyProblems = responses.filter(({ response }) =>
    /\/problems\/dependency-/.test(response.statusCode >= 400 ? response.json().type : ''),
  );
  assert.equal(dependencyProblems.length, 0, summary);
  assert.equal(breaker, 'closed', summary);
  // batches, not one call per SKU per request (100 × 1,000)
  assert.ok(partnerCalls <= 20, summary);

  // every answer of one key is the same order; anything else is a 503 overloaded or a 409 in flight
  for (const { key } of keys) {
    const answers = responses.filter((r) => r.key === key).map((r) => r.response);
    const created = answers.filter((r) => r.statusCode === 201);
    assert.ok(created.length >= 1, `${key}: no 201 (${summary})`);
    assert.equal(new Set(created.map((r) => r.json().id)).size, 1, `${key}: more than one order`);
    for (const other of answers.filter((r) => r.statusCode !== 201)) {
      assert.match(other.json().type, /\/problems\/(overloaded|idempotency-request-in-flight)$/, summary);
    }
  }
  const { rows } = await app.db.pool.query(
    `SELECT count(*)::int AS n FROM orders WHERE items->0->>'sku' = $1`,
    [skus[0]],
  );
  assert.equal(rows[0].n, KEYS);
});
