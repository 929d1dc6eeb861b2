/** readEgressHistory on a real database: percentiles from summed buckets, last errors of a real dependency client, freshness, stale serves, reaping; and the bucket arithmetic. */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { BackgroundErrors } from '../observability/index.ts';
import { migrate } from '../postgres/index.ts';
import {
  type BreakerState,
  createDependencyClient,
  createEgressMetrics,
  type EgressAttempt,
  type EgressKind,
  staleIfError,
} from '../resilience/index.ts';
import { createFakeClock, createTestDatabase, type FakeClock, type TestDatabase } from '../testing/index.ts';
import { bucketPercentile, LATENCY_BOUNDS_MS, LATENCY_BUCKETS, latencyBucket } from './buckets.ts';
import {
  createEgressHistory,
  type EgressHistoryOptions,
  type EgressSource,
  egressHistoryMigrations,
  readEgressHistory,
  reapEgressHistory,
} from './index.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const MINUTE = 60_000;

function fakeSource(name: string) {
  const listeners = new Set<(a: EgressAttempt) => void>();
  const state = { breaker: 'closed' as BreakerState, budgetRemaining: 10 };
  const source: EgressSource & { emit(a: EgressAttempt): void; state: typeof state } = {
    name,
    state,
    onAttempt: (listener) => {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
    status: () => ({ ...state }),
    emit: (a) => {
      for (const listener of listeners) listener(a);
    },
  };
  return source;
}

function attempt(dependency: string, kind: EgressKind, at: number, extra: Partial<EgressAttempt> = {}) {
  return {
    dependency,
    method: 'GET',
    route: '/items/{id}',
    status: kind === 'success' ? 200 : kind === '5xx' ? 503 : undefined,
    durationMs: 3,
    attempt: 1,
    outcome: kind === 'success' ? 'success' : 'transient',
    kind,
    at,
    ...extra,
  } satisfies EgressAttempt;
}

function recordingErrors(): BackgroundErrors & { reported: { component: string; message: string }[] } {
  const reported: { component: string; message: string }[] = [];
  return {
    reported,
    report: (component, error) => reported.push({ component, message: (error as Error).message }),
  };
}

let db: TestDatabase;
let clock: FakeClock;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...egressHistoryMigrations]);
});
after(() => db.close());
beforeEach(async () => {
  clock = createFakeClock(T0 + 5_000);
  await db.pool.query('TRUNCATE egress_minutes, egress_instances');
});

function history(instanceId: string, extra: Partial<EgressHistoryOptions> = {}) {
  const errors = recordingErrors();
  const h = createEgressHistory({ db: db.pool, instanceId, clock, errors, ...extra });
  return Object.assign(h, { reported: errors.reported });
}

const dependency = async (name: string, options: { minutes?: number; staleAfterMs?: number } = {}) => {
  const view = await readEgressHistory(db.pool, { now: clock.now(), ...options });
  const found = view.dependencies.find((d) => d.dependency === name);
  assert.ok(found, `${name} is in the view`);
  return found;
};

describe('reading the egress history', () => {
  test('p50 and p99 come from the summed latency buckets, interpolated inside a bucket; refused calls have no latency', async () => {
    const a = history('web-a');
    const b = history('web-b');
    const sa = fakeSource('pricing');
    const sb = fakeSource('pricing');
    a.attach(sa);
    b.attach(sb);
    // 8 attempts in (0, 5] ms and 2 in (100, 250] ms, split over the instances
    for (let i = 0; i < 4; i++) sa.emit(attempt('pricing', 'success', clock.now(), { durationMs: 3 }));
    for (let i = 0; i < 4; i++) sb.emit(attempt('pricing', 'success', clock.now(), { durationMs: 4.5 }));
    sb.emit(attempt('pricing', 'timeout', clock.now(), { durationMs: 200 }));
    sb.emit(attempt('pricing', 'timeout', clock.now(), { durationMs: 240 }));
    sa.emit(attempt('pricing', 'rejected', clock.now(), { durationMs: 9_999_999 }));
    await a.flush();
    await b.flush();
    const pricing = await dependency('pricing');
    // p50: rank 5 of 10 in the first bucket (8 there): 0 + 5 × 5 / 8
    assert.equal(pricing.p50Ms, 3.125);
    // p99: rank 9.9, 1.9 into the (100, 250] bucket of 2: 100 + 150 × 1.9 / 2
    assert.equal(pricing.p99Ms, 242.5);
    assert.equal(pricing.totals.rejected, 1);
  });

  test('last errors of a real dependency client: newest first across instances, with request ids and keys', async () => {
    const answers: number[] = [];
    const server = http.createServer((_request, response) => {
      response.writeHead(answers.shift() ?? 200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const quiet = { info() {}, warn() {} };
    const metrics = createEgressMetrics();
    const clients = ['web-a', 'web-b'].map(() =>
      createDependencyClient({
        name: 'stock',
        baseUrl,
        criticality: 'degradable',
        log: quiet,
        metrics,
        clock,
        maxAttempts: 1,
      }),
    );
    const a = history('web-a', { lastErrors: 2 });
    const b = history('web-b');
    a.attach(clients[0]);
    b.attach(clients[1]);
    try {
      const call = (i: number, requestId: string) =>
        clients[i]
          .request({
            method: 'POST',
            path: '/holds',
            route: '/holds',
            requestId,
            idempotencyKey: `hold:${requestId}`,
          })
          .catch(() => undefined);
      answers.push(503, 200, 429, 503);
      await call(0, 'req-1'); // 503 at +0 s (dropped: instance a keeps its 2 newest)
      clock.advance(1000);
      await call(0, 'req-2'); // 200: no error
      clock.advance(1000);
      await call(1, 'req-3'); // 429 at +2 s on b
      clock.advance(1000);
      await call(0, 'req-4'); // 503 at +3 s on a
      await call(0, 'req-5'); // 200
      answers.push(404);
      clock.advance(1000);
      await call(0, 'req-6'); // 404 at +4 s on a
      await a.flush();
      await b.flush();
      const stock = await dependency('stock');
      assert.deepEqual(
        stock.lastErrors.map((e) => [e.requestId, e.idempotencyKey, e.kind, e.status, e.instanceId, e.route]),
        [
          ['req-6', 'hold:req-6', '4xx', 404, 'web-a', '/holds'],
          ['req-4', 'hold:req-4', '5xx', 503, 'web-a', '/holds'],
          ['req-3', 'hold:req-3', '429', 429, 'web-b', '/holds'],
        ],
      );
      assert.equal(stock.lastErrors[0].at, new Date(T0 + 5_000 + 4000).toISOString());
      assert.equal(stock.lastErrors[1].error, 'stock answered 503');
      assert.equal(stock.totals.success, 2);
      assert.deepEqual(
        stock.instances.map((i) => [i.instanceId, i.breaker]),
        [
          ['web-a', 'closed'],
          ['web-b', 'closed'],
        ],
      );
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      server.closeAllConnections();
      server.close();
    }
  });

  test('an instance that stopped writing is listed, not fresh; a stopped history writes once more and records nothing after', async () => {
    const a = history('web-a');
    const b = history('web-b');
    const sa = fakeSource('pricing');
    a.attach(sa);
    b.attach(fakeSource('pricing'));
    await a.flush();
    clock.advance(45_000);
    sa.emit(attempt('pricing', 'success', clock.now()));
    await a.stop();
    sa.emit(attempt('pricing', 'success', clock.now()));
    await a.flush();
    await b.flush();
    const pricing = await dependency('pricing', { staleAfterMs: 30_000 });
    assert.equal(pricing.totals.success, 1);
    clock.advance(40_000);
    await b.flush();
    const later = await dependency('pricing', { staleAfterMs: 30_000 });
    assert.deepEqual(
      later.instances.map((i) => [i.instanceId, i.fresh, i.updatedAt]),
      [
        ['web-a', false, new Date(T0 + 50_000).toISOString()],
        ['web-b', true, new Date(T0 + 90_000).toISOString()],
      ],
    );
  });

  test('stale serves: from a staleIfError cache, and recorded by hand', async () => {
    const h = history('web-a');
    const cache = staleIfError<string, number>({ maxStaleMs: 60_000, clock });
    h.attachStale(cache, 'quotes');
    await cache.get('k', async () => 1);
    const failing = async (): Promise<number> => {
      throw new Error('down');
    };
    assert.deepEqual(await cache.get('k', failing).then((c) => c.stale), true);
    await cache.get('k', failing);
    h.recordStale('quotes');
    await h.flush();
    const quotes = await dependency('quotes');
    assert.equal(quotes.stale, 3);
    assert.equal(quotes.minutes.at(-1)?.stale, 3);
  });

  test('reap deletes minutes and instances older than the cut-off, and nothing newer', async () => {
    const h = history('web-a');
    const s = fakeSource('pricing');
    h.attach(s);
    s.emit(attempt('pricing', 'success', clock.now()));
    await h.flush();
    clock.advance(2 * MINUTE);
    s.emit(attempt('pricing', 'success', clock.now()));
    await h.flush(); // minutes T0 and T0+2, instance row updated at T0+2:05
    assert.equal(await reapEgressHistory(db.pool, { olderThan: new Date(T0 + MINUTE) }), 1);
    const { rows } = await db.pool.query('SELECT minute FROM egress_minutes');
    assert.deepEqual(
      rows.map((r) => r.minute.toISOString()),
      [new Date(T0 + 2 * MINUTE).toISOString()],
    );
    assert.equal(await reapEgressHistory(db.pool, { olderThan: new Date(T0 + 3 * MINUTE) }), 2);
    assert.equal((await readEgressHistory(db.pool, { now: clock.now() })).dependencies.length, 0);
  });
});

describe('latency buckets', () => {
  test('a duration on a bound belongs to the bucket it bounds; above the last bound is the overflow', () => {
    assert.deepEqual([0, 5, 5.01, 10_000, 10_001].map(latencyBucket), [
      0,
      0,
      1,
      LATENCY_BOUNDS_MS.length - 1,
      LATENCY_BOUNDS_MS.length,
    ]);
    assert.equal(LATENCY_BUCKETS, 12);
  });

  test('percentiles: none without counts, interpolated inside a bucket, the overflow read as its lower bound', () => {
    const empty = new Array(LATENCY_BUCKETS).fill(0);
    assert.equal(bucketPercentile(empty, 0.5), null);
    const one = [...empty];
    one[2] = 4; // four in (10, 25]
    assert.equal(bucketPercentile(one, 0.5), 17.5); // 10 + 15 × 2/4
    assert.equal(bucketPercentile(one, 1), 25);
    const slow = [...empty];
    slow[0] = 1;
    slow[LATENCY_BUCKETS - 1] = 99;
    assert.equal(bucketPercentile(slow, 0.99), 10_000);
  });
});
