/**
 * Our own queueing is not the dependency's failure: a bulkhead queue wait is
 * bounded by the caller's deadline and never reaches the breaker; identical
 * keys asked for together are loaded in one batch.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../observability/index.ts';
import { batchLoader } from './batch-loader.ts';
import { circuitBreaker } from './breaker.ts';
import { bulkhead } from './bulkhead.ts';
import { BulkheadRejectedError } from './errors.ts';
import { createDependencyClient } from './http-client.ts';
import { createEgressMetrics } from './metrics.ts';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('bulkhead queue and the caller deadline', () => {
  test('a queued call leaves the queue at its deadline with queue-timeout; the running call is untouched', async () => {
    const limiter = bulkhead({ maxConcurrent: 1, maxQueue: 10 });
    const reasons: string[] = [];
    limiter.onReject(({ reason }) => reasons.push(reason));
    const g = gate();
    const running = limiter.execute(() => g.opened.then(() => 'ran'));
    const queued = limiter.execute(async () => 'never', { deadline: Date.now() + 30 });
    await assert.rejects(queued, (e) => e instanceof BulkheadRejectedError && e.reason === 'queue-timeout');
    assert.equal(limiter.queued(), 0);
    g.open();
    assert.equal(await running, 'ran');
    assert.equal(limiter.active(), 0);
    assert.deepEqual(reasons, ['queue-timeout']);
  });

  test('a call whose deadline is already (nearly) past is refused at once instead of queued', async () => {
    const limiter = bulkhead({ maxConcurrent: 1, maxQueue: 10, minRemainingMs: 50 });
    const g = gate();
    const running = limiter.execute(() => g.opened);
    await assert.rejects(
      limiter.execute(async () => 'x', { deadline: Date.now() + 20 }),
      (e) => e instanceof BulkheadRejectedError && e.reason === 'queue-timeout',
    );
    g.open();
    await running;
  });

  test('the breaker never counts a bulkhead rejection, whatever the order', async () => {
    const breaker = circuitBreaker({ minimumRequests: 2, failureRateThreshold: 0.1 });
    for (let i = 0; i < 20; i++)
      await assert.rejects(
        breaker.execute(() => Promise.reject(new BulkheadRejectedError('full'))),
        BulkheadRejectedError,
      );
    assert.equal(breaker.state(), 'closed');
  });
});

describe('createDependencyClient: waiting for a slot is not a partner timeout', () => {
  test('48 calls queued past their deadline behind 2 slow-but-healthy calls: queue-timeouts, one fetch each for the 2, breaker closed', async () => {
    const g = gate();
    let fetches = 0;
    const client = createDependencyClient({
      name: 'slowpoke',
      baseUrl: 'http://partner.invalid',
      criticality: 'degradable',
      attemptTimeoutMs: 60_000,
      bulkhead: { maxConcurrent: 2, maxQueue: 100 },
      breaker: { minimumRequests: 5, failureRateThreshold: 0.2 },
      log: createLogger({ level: 'silent' }),
      metrics: createEgressMetrics(),
      fetch: (async () => {
        fetches++;
        await g.opened;
        return new Response('{"ok":true}', { status: 200, headers: { 'content-type': 'application/json' } });
      }) as never,
    });
    try {
      const slow = [1, 2].map(() => client.request({ method: 'GET', path: '/x', route: '/x' }));
      const queued = Array.from({ length: 48 }, () =>
        client.request({ method: 'GET', path: '/x', route: '/x', deadline: Date.now() + 40 }),
      );
      const outcomes = await Promise.allSettled(queued);
      assert.ok(
        outcomes.every(
          (o) =>
            o.status === 'rejected' &&
            o.reason instanceof BulkheadRejectedError &&
            o.reason.reason === 'queue-timeout',
        ),
      );
      g.open();
      assert.deepEqual(
        (await Promise.all(slow)).map((r) => r.status),
        [200, 200],
      );
      assert.equal(fetches, 2, 'a queue-timeout is not retried and never reached the partner');
      assert.equal(client.status().breaker, 'closed');
    } finally {
      await client.close();
    }
  });
});

describe('batchLoader', () => {
  test('keys asked for in one tick go out as one call per maxBatchSize, a repeated key once', async () => {
    const calls: string[][] = [];
    const loader = batchLoader<string, number, string>({
      maxBatchSize: 3,
      load: async (items) => {
        calls.push(items.map((i) => i.key));
        return new Map(
          items.map((i) => [
            i.key,
            i.key === 'gone' ? { error: new Error('no such item') } : { value: i.key.length },
          ]),
        );
      },
    });
    const values = await Promise.allSettled(
      ['a', 'bb', 'a', 'ccc', 'dddd', 'gone'].map((k) => loader.load(k, 'ctx')),
    );
    assert.deepEqual(calls, [
      ['a', 'bb', 'ccc'],
      ['dddd', 'gone'],
    ]);
    assert.deepEqual(
      values.slice(0, 5).map((v) => (v.status === 'fulfilled' ? v.value : undefined)),
      [1, 2, 1, 3, 4],
    );
    assert.equal(values[5].status, 'rejected');
    assert.equal(loader.batches(), 2);
  });

  test('a failed batch fails each of its keys; a key the answer left out fails with missing(key)', async () => {
    let fail = true;
    const loader = batchLoader<string, number, undefined>({
      load: async (items) => {
        if (fail) throw new Error('partner down');
        return new Map([[items[0].key, { value: 1 }]]);
      },
      missing: (key) => new Error(`missing ${key}`),
    });
    const both = await Promise.allSettled([loader.load('x', undefined), loader.load('y', undefined)]);
    assert.deepEqual(
      both.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok')),
      ['partner down', 'partner down'],
    );
    fail = false;
    const next = await Promise.allSettled([loader.load('x', undefined), loader.load('y', undefined)]);
    assert.equal(next[0].status, 'fulfilled');
    assert.equal(next[1].status === 'rejected' && (next[1].reason as Error).message, 'missing y');
  });
});
