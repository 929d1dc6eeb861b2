/** createEgressHistory + readEgressHistory on a real database: sums across instances, zero-filled minutes, retried and failed flushes, percentiles, last errors, freshness, reaping. */
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

describe('egress history across instances', () => {
  test('two instances on one database: the read sums both, per minute and over the window', async () => {
    const a = history('web-a');
    const b = history('web-b');
    const sa = fakeSource('pricing');
    const sb = fakeSource('pricing');
    a.attach(sa);
    b.attach(sb);
    for (const kind of ['success', 'success', 'success', 'timeout'] as const)
      sa.emit(attempt('pricing', kind, clock.now()));
    for (const kind of ['success', 'success', '5xx'] as const) sb.emit(attempt('pricing', kind, clock.now()));
    sb.state.breaker = 'open';
    assert.equal(await a.flush(), true);
    assert.equal(await b.flush(), true);

    const pricing = await dependency('pricing');
    assert.equal(pricing.minutes.length, 60);
    assert.deepEqual(pricing.minutes.at(-1), {
      minute: new Date(T0).toISOString(),
      counts: { success: 5, timeout: 1, '5xx': 1, '429': 0, '4xx': 0, network: 0, malformed: 0, rejected: 0 },
      stale: 0,
    });
    assert.equal(pricing.totals.success, 5);
    assert.deepEqual(
      pricing.instances.map((i) => [i.instanceId, i.breaker, i.budgetRemaining, i.fresh]),
      [
        ['web-a', 'closed', 10, true],
        ['web-b', 'open', 10, true],
      ],
    );
  });

  test('minutes without data are zero-filled, oldest first, one per minute of the window', async () => {
    const h = history('web-a');
    const s = fakeSource('pricing');
    h.attach(s);
    s.emit(attempt('pricing', '429', clock.now()));
    await h.flush();
    clock.advance(3 * MINUTE);
    const pricing = await dependency('pricing', { minutes: 5 });
    assert.deepEqual(
      pricing.minutes.map((m) => [m.minute, m.counts['429']]),
      [-1, 0, 1, 2, 3].map((i) => [new Date(T0 + i * MINUTE).toISOString(), i === 0 ? 1 : 0]),
    );
  });

  test('a flush repeated, or repeated after more traffic, never counts an attempt twice', async () => {
    const h = history('web-a');
    const s = fakeSource('pricing');
    h.attach(s);
    s.emit(attempt('pricing', 'success', clock.now()));
    s.emit(attempt('pricing', 'success', clock.now()));
    await h.flush();
    await h.flush();
    assert.equal((await dependency('pricing')).totals.success, 2);
    s.emit(attempt('pricing', 'success', clock.now()));
    await h.flush();
    assert.equal((await dependency('pricing')).totals.success, 3);
    // the minute ends and is written: it leaves memory, and the next minute's rows do not touch it
    clock.advance(MINUTE);
    await h.flush();
    s.emit(attempt('pricing', 'network', clock.now()));
    await h.flush();
    await h.flush();
    const pricing = await dependency('pricing');
    assert.deepEqual(
      pricing.minutes.slice(-2).map((m) => [m.counts.success, m.counts.network]),
      [
        [3, 0],
        [0, 1],
      ],
    );
    assert.equal(pricing.attemptsPerSecond, 3 / 60, 'the last full minute, per second');
  });

  test('a failed flush is reported and keeps its data; the next one writes it, an ended minute included', async () => {
    const h = history('web-a');
    const s = fakeSource('pricing');
    h.attach(s);
    s.emit(attempt('pricing', 'success', clock.now()));
    await db.pool.query('ALTER TABLE egress_minutes RENAME TO egress_minutes_away');
    try {
      assert.equal(await h.flush(), false);
      clock.advance(MINUTE);
      s.emit(attempt('pricing', 'timeout', clock.now()));
      assert.equal(await h.flush(), false);
    } finally {
      await db.pool.query('ALTER TABLE egress_minutes_away RENAME TO egress_minutes');
    }
    assert.deepEqual(
      h.reported.map((r) => r.component),
      ['egress-history', 'egress-history'],
    );
    assert.match(h.reported[0].message, /egress_minutes/);
    assert.equal(await h.flush(), true);
    const pricing = await dependency('pricing');
    assert.deepEqual(
      pricing.minutes.slice(-2).map((m) => [m.counts.success, m.counts.timeout]),
      [
        [1, 0],
        [0, 1],
      ],
    );
  });

  test('while flushes fail, at most maxMinutes minutes wait in memory: the oldest is dropped and reported', async () => {
    const h = history('web-a', { maxMinutes: 2 });
    const s = fakeSource('pricing');
    h.attach(s);
    await db.pool.query('ALTER TABLE egress_minutes RENAME TO egress_minutes_away');
    try {
      for (let i = 0; i < 3; i++) {
        s.emit(attempt('pricing', 'success', clock.now()));
        await h.flush();
        clock.advance(MINUTE);
      }
    } finally {
      await db.pool.query('ALTER TABLE egress_minutes_away RENAME TO egress_minutes');
    }
    assert.ok(
      h.reported.some((r) => r.message === `dropped the unwritten minute ${new Date(T0).toISOString()}`),
    );
    await h.flush();
    const pricing = await dependency('pricing', { minutes: 4 });
    assert.deepEqual(
      pricing.minutes.map((m) => m.counts.success),
      [0, 1, 1, 0],
    );
  });

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
