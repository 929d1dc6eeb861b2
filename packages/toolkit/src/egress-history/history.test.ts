/** createEgressHistory + readEgressHistory on a real database: sums across instances, zero-filled minutes, retried and failed flushes, percentiles, last errors, freshness, reaping. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { BackgroundErrors } from '../observability/index.ts';
import { migrate } from '../postgres/index.ts';
import type { BreakerState, EgressAttempt, EgressKind } from '../resilience/index.ts';
import { createFakeClock, createTestDatabase, type FakeClock, type TestDatabase } from '../testing/index.ts';
import {
  createEgressHistory,
  type EgressHistoryOptions,
  type EgressSource,
  egressHistoryMigrations,
  readEgressHistory,
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

  test('a source attached twice is counted once', async () => {
    const h = history('web-twice');
    const s = fakeSource('twice');
    const first = h.attach(s);
    assert.equal(h.attach(s), first);
    s.emit(attempt('twice', 'success', clock.now()));
    await h.flush();
    assert.equal((await dependency('twice')).totals.success, 1);
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
});
