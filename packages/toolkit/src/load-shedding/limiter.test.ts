/** The limiters alone, driven by a fake clock and synthetic latencies. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFakeClock } from '../testing/fake-clock.ts';
import {
  type AdaptiveConcurrencyLimitOptions,
  type ConcurrencyLimiter,
  createAdaptiveConcurrencyLimit,
  createFixedConcurrencyLimit,
} from './limiter.ts';

function adaptive(options: AdaptiveConcurrencyLimitOptions = {}) {
  const clock = createFakeClock();
  const limiter = createAdaptiveConcurrencyLimit({ windowMs: 100, minWindowSamples: 10, clock, ...options });
  return { clock, limiter };
}

/**
 * One window of traffic: `concurrency` requests in flight at once (as many as
 * the limit admits), each taking `latencyMs`; returns the limit afterwards.
 */
function window(
  { clock, limiter }: ReturnType<typeof adaptive>,
  latencyMs: number,
  concurrency = Number.POSITIVE_INFINITY,
): number {
  let done = 0;
  while (done < 10) {
    let admitted = 0;
    while (admitted < concurrency && limiter.tryAcquire('critical')) admitted++;
    assert.ok(admitted > 0, 'at least one request is admitted');
    clock.advance(latencyMs);
    for (let i = 0; i < admitted; i++) limiter.release(latencyMs);
    done += admitted;
  }
  clock.advance(100);
  limiter.tryAcquire('critical');
  limiter.release(latencyMs); // this sample closes the window (≥ 10 samples, ≥ 100 ms)
  return limiter.limit();
}

function windows(l: ReturnType<typeof adaptive>, count: number, latencyMs: number, concurrency?: number) {
  const limits: number[] = [];
  for (let i = 0; i < count; i++) limits.push(window(l, latencyMs, concurrency));
  return limits;
}

describe('createAdaptiveConcurrencyLimit', () => {
  test('latency rising well above the baseline drives the limit down to minLimit, and never below', () => {
    const l = adaptive({ initialLimit: 50, minLimit: 10 });
    windows(l, 5, 10); // the baseline: 10 ms
    const start = l.limiter.limit();
    const limits = windows(l, 40, 100); // queueing: ten times slower
    assert.ok(limits[3] < start, `falls at once: ${start} → ${limits.slice(0, 4).join(', ')}`);
    assert.equal(Math.min(...limits), 10, `reaches minLimit: ${limits.join(', ')}`);
    assert.ok(limits.every((x) => x >= 10));
    for (let i = 1; i < limits.length; i++) assert.ok(limits[i] <= limits[i - 1], 'falls monotonically');
  });

  test('latency back at the baseline lets the limit grow again', () => {
    const l = adaptive({ initialLimit: 50, minLimit: 4 });
    windows(l, 5, 10);
    windows(l, 40, 100);
    const low = l.limiter.limit();
    const limits = windows(l, 40, 10);
    assert.ok(limits[39] > low * 3, `grows back: ${low} → ${limits.join(', ')}`);
  });

  test('steady latency at the baseline grows the limit up to maxLimit, and never above', () => {
    const l = adaptive({ initialLimit: 10, maxLimit: 40 });
    const limits = windows(l, 200, 10);
    assert.equal(Math.max(...limits), 40);
    assert.equal(limits.at(-1), 40);
  });

  test('an app-limited server (in flight below half the limit) does not grow its limit', () => {
    const l = adaptive({ initialLimit: 20 });
    const limits = windows(l, 50, 10, 5);
    assert.deepEqual(new Set(limits), new Set([20]));
  });

  test('an app-limited server does not shrink its limit on slow answers either', () => {
    const l = adaptive({ initialLimit: 40, minLimit: 5 });
    windows(l, 5, 10, 4); // the baseline: 10 ms, 4 in flight (a tenth of the limit)
    assert.equal(l.limiter.limit(), 40);
    // slower answers at the same low concurrency: the work got slower, nothing queues
    assert.deepEqual(windows(l, 10, 40, 4), [40, 40, 40, 40, 40, 40, 40, 40, 40, 40]);
    // the same slowness with the limit in use (busy): now it is queueing, and the limit falls
    const busy = windows(l, 5, 60);
    assert.ok(busy[4] < 40, `falls once busy: ${busy.join(', ')}`);
  });

  test('a lasting change of latency becomes the new baseline: the limit stops falling and recovers', () => {
    const l = adaptive({ initialLimit: 50, baselineWindows: 20 });
    windows(l, 5, 10);
    const start = l.limiter.limit();
    const limits = windows(l, 40, 100); // the database got slower for good
    const lowest = Math.min(...limits);
    assert.ok(lowest < start / 1.5, `sheds while the change is new: ${limits.join(', ')}`);
    assert.ok(limits.at(-1)! > start, `then grows back on the new normal: ${limits.join(', ')}`);
  });

  test('aborted requests (no sample) release their slot and teach nothing', () => {
    const l = adaptive({ initialLimit: 10 });
    for (let i = 0; i < 100; i++) {
      assert.ok(l.limiter.tryAcquire('normal'));
      l.clock.advance(1000);
      l.limiter.release();
    }
    assert.equal(l.limiter.inflight(), 0);
    assert.equal(l.limiter.limit(), 10);
  });

  test('bad options fail at creation, naming the option', () => {
    assert.throws(() => createAdaptiveConcurrencyLimit({ minLimit: 0 }), /minLimit/);
    assert.throws(() => createAdaptiveConcurrencyLimit({ initialLimit: 2.5 }), /initialLimit/);
    assert.throws(
      () => createAdaptiveConcurrencyLimit({ initialLimit: 2, minLimit: 4 }),
      /minLimit ≤ initialLimit/,
    );
    assert.throws(() => createAdaptiveConcurrencyLimit({ tolerance: 0.5 }), /tolerance/);
    assert.throws(() => createAdaptiveConcurrencyLimit({ smoothing: 0 }), /smoothing/);
    assert.throws(
      () => createAdaptiveConcurrencyLimit({ shares: { normal: 0.5, sheddable: 0.6 } }),
      /sheddable/,
    );
    assert.throws(() => createFixedConcurrencyLimit({ fixedLimit: -1 }), /fixedLimit/);
    assert.throws(() => createFixedConcurrencyLimit({ fixedLimit: Number.NaN }), /fixedLimit/);
  });
});

describe('admission by criticality', () => {
  function fill(limiter: ConcurrencyLimiter, criticality: 'critical' | 'normal' | 'sheddable') {
    let n = 0;
    while (limiter.tryAcquire(criticality)) n++;
    return n;
  }

  test('with limit 10: sheddable up to 5 in flight, normal up to 9, critical up to 10; exempt always and uncounted', () => {
    const limiter = createFixedConcurrencyLimit({ fixedLimit: 10 });
    assert.equal(fill(limiter, 'sheddable'), 5);
    assert.equal(fill(limiter, 'normal'), 4);
    assert.equal(limiter.admits('sheddable'), false);
    assert.equal(fill(limiter, 'critical'), 1);
    assert.equal(limiter.inflight(), 10);
    assert.equal(limiter.tryAcquire('exempt'), true);
    assert.equal(limiter.inflight(), 10);
    limiter.release();
    assert.equal(limiter.admits('critical'), true);
    assert.equal(limiter.admits('normal'), false);
  });

  test('shares are configurable', () => {
    const limiter = createFixedConcurrencyLimit({ fixedLimit: 10, shares: { sheddable: 0.2, normal: 0.6 } });
    assert.equal(fill(limiter, 'sheddable'), 2);
    assert.equal(fill(limiter, 'normal'), 4);
    assert.equal(fill(limiter, 'critical'), 4);
  });

  test('a release never takes in-flight below zero', () => {
    const limiter = createFixedConcurrencyLimit({ fixedLimit: 2 });
    limiter.release();
    assert.equal(limiter.inflight(), 0);
    assert.equal(fill(limiter, 'critical'), 2);
  });
});
