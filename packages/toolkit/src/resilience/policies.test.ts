import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFakeClock } from '../testing/fake-clock.ts';
import { circuitBreaker } from './breaker.ts';
import { retryBudget } from './budget.ts';
import { bulkhead } from './bulkhead.ts';
import { BrokenCircuitError, BulkheadRejectedError, HttpStatusError, TimeoutError } from './errors.ts';
import { fallback } from './fallback.ts';
import { pipeline } from './pipeline.ts';
import { retry } from './retry.ts';
import { staleIfError } from './stale-if-error.ts';
import { timeout } from './timeout.ts';

const fail = (status: number, retryAfterMs?: number) =>
  Promise.reject(new HttpStatusError(status, { retryAfterMs }));

describe('timeout', () => {
  test('aborts the work’s signal and throws TimeoutError', async () => {
    const policy = timeout({ timeoutMs: 20 });
    let seen: AbortSignal | undefined;
    await assert.rejects(
      policy.execute(({ signal }) => {
        seen = signal;
        return new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('aborted'))),
        );
      }),
      TimeoutError,
    );
    assert.equal(seen?.aborted, true, 'the underlying work was really cancelled');
  });

  test('a nearer caller deadline shortens it; a caller abort is forwarded', async () => {
    const policy = timeout({ timeoutMs: 10_000 });
    const started = Date.now();
    await assert.rejects(
      policy.execute(
        ({ signal }) => new Promise((_, r) => signal.addEventListener('abort', () => r(signal.reason))),
        { deadline: Date.now() + 30 },
      ),
      TimeoutError,
    );
    assert.ok(Date.now() - started < 1000);
    const controller = new AbortController();
    const running = policy.execute(
      ({ signal }) => new Promise((_, r) => signal.addEventListener('abort', () => r(signal.reason))),
      { signal: controller.signal },
    );
    controller.abort(new Error('caller gave up'));
    await assert.rejects(running, /caller gave up/);
  });
});

describe('retry', () => {
  function harness(options: Partial<Parameters<typeof retry>[0]> = {}) {
    const clock = createFakeClock(0);
    const sleeps: number[] = [];
    const policy = retry({
      maxAttempts: 4,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      shouldRetry: (e) => e instanceof HttpStatusError && e.status >= 500,
      clock,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock.advance(ms);
      },
      ...options,
    });
    return { policy, sleeps, clock };
  }

  test('full-jitter exponential backoff, up to maxAttempts', async () => {
    const { policy, sleeps } = harness();
    let attempts = 0;
    await assert.rejects(
      policy.execute(() => {
        attempts++;
        return fail(503);
      }),
      HttpStatusError,
    );
    assert.equal(attempts, 4);
    assert.deepEqual(sleeps, [50, 100, 200]); // random 0.5 × min(max, 100 × 2^(n-1))
  });

  test('succeeds when a later attempt does; permanent errors are not retried', async () => {
    const { policy } = harness();
    let attempts = 0;
    assert.equal(await policy.execute(async () => (++attempts < 3 ? fail(503) : 'ok')), 'ok');
    attempts = 0;
    await assert.rejects(
      policy.execute(() => {
        attempts++;
        return fail(404);
      }),
    );
    assert.equal(attempts, 1);
  });

  test('Retry-After is honoured; one longer than the cap ends the retries instead of retrying early', async () => {
    const { policy, sleeps } = harness({ shouldRetry: () => true, maxRetryAfterMs: 3000 });
    let attempts = 0;
    assert.equal(await policy.execute(async () => (++attempts === 1 ? fail(429, 2000) : 'ok')), 'ok');
    assert.deepEqual(sleeps, [2000]);
    attempts = 0;
    await assert.rejects(
      policy.execute(() => {
        attempts++;
        return fail(429, 60_000);
      }),
      HttpStatusError,
    );
    assert.equal(attempts, 1);
  });

  test('deadline-aware: no sleep past the deadline, no attempt that cannot finish', async () => {
    const { policy, sleeps, clock } = harness({ shouldRetry: () => true, maxRetryAfterMs: 5000 });
    let attempts = 0;
    await assert.rejects(
      policy.execute(
        () => {
          attempts++;
          return fail(429, 2000);
        },
        { deadline: clock.now() + 1500 },
      ),
      HttpStatusError,
    );
    assert.equal(attempts, 1);
    assert.deepEqual(sleeps, []);
  });

  test('a spent budget stops retrying', async () => {
    const clock = createFakeClock(0);
    const budget = retryBudget({ ratio: 0, minRetriesPerSecond: 0.1, windowMs: 10_000, clock }); // one retry per window
    const { policy } = harness({ budget, clock });
    let attempts = 0;
    await assert.rejects(
      policy.execute(() => {
        attempts++;
        return fail(503);
      }),
    );
    assert.equal(attempts, 2);
  });
});

describe('retryBudget', () => {
  test('retries stay under ratio × requests + floor, per sliding window', () => {
    const clock = createFakeClock(0);
    const budget = retryBudget({ ratio: 0.1, minRetriesPerSecond: 0, windowMs: 10_000, clock });
    for (let i = 0; i < 100; i++) budget.recordRequest();
    let granted = 0;
    while (budget.tryAcquire()) granted++;
    assert.equal(granted, 10);
    clock.advance(11_000);
    assert.equal(budget.remaining(), 0, 'old requests left the window');
  });
});

describe('circuitBreaker', () => {
  test('opens past the failure rate, rejects, probes after openMs, closes on success', async () => {
    const clock = createFakeClock(0);
    const breaker = circuitBreaker({ minimumRequests: 4, failureRateThreshold: 0.5, openMs: 5000, clock });
    const events: string[] = [];
    breaker.onBreak(() => events.push('break'));
    breaker.onHalfOpen(() => events.push('half-open'));
    breaker.onClose(() => events.push('close'));
    await breaker.execute(async () => 'ok');
    await breaker.execute(async () => 'ok');
    await assert.rejects(breaker.execute(() => fail(503)));
    assert.equal(breaker.state(), 'closed');
    await assert.rejects(breaker.execute(() => fail(503)));
    assert.equal(breaker.state(), 'open');
    await assert.rejects(
      breaker.execute(async () => 'never'),
      BrokenCircuitError,
    );
    clock.advance(5000);
    assert.equal(breaker.state(), 'half-open');
    assert.equal(await breaker.execute(async () => 'probe'), 'probe');
    assert.equal(breaker.state(), 'closed');
    assert.deepEqual(events, ['break', 'half-open', 'close']);
  });

  test('a failed probe opens it again; only halfOpenProbes probes at once', async () => {
    const clock = createFakeClock(0);
    const breaker = circuitBreaker({ minimumRequests: 1, openMs: 100, clock });
    await assert.rejects(breaker.execute(() => fail(503)));
    clock.advance(100);
    let release!: () => void;
    const probe = breaker.execute(() => new Promise<void>((r) => (release = r)));
    await assert.rejects(
      breaker.execute(async () => 'second'),
      BrokenCircuitError,
    );
    release();
    await probe;
    assert.equal(breaker.state(), 'closed');
    await assert.rejects(breaker.execute(() => fail(503)));
    clock.advance(100);
    await assert.rejects(breaker.execute(() => fail(503)));
    assert.equal(breaker.state(), 'open');
  });

  test('ignored errors (429 back-pressure) never trip it', async () => {
    const breaker = circuitBreaker({
      minimumRequests: 2,
      isIgnored: (e) => e instanceof HttpStatusError && e.status === 429,
    });
    for (let i = 0; i < 50; i++) await assert.rejects(breaker.execute(() => fail(429)));
    assert.equal(breaker.state(), 'closed');
  });
});

describe('bulkhead, fallback, staleIfError, pipeline', () => {
  test('bulkhead rejects at once when running and queue are full', async () => {
    const limiter = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    let release!: () => void;
    const first = limiter.execute(() => new Promise<string>((r) => (release = () => r('first'))));
    const second = limiter.execute(async () => 'second');
    await assert.rejects(
      limiter.execute(async () => 'third'),
      BulkheadRejectedError,
    );
    release();
    assert.deepEqual(await Promise.all([first, second]), ['first', 'second']);
    assert.equal(limiter.active(), 0);
  });

  test('fallback substitutes a value', async () => {
    assert.deepEqual(await fallback(() => []).execute(() => fail(503)), []);
  });

  test('staleIfError serves a cached value up to maxStaleMs, then fails', async () => {
    const clock = createFakeClock(0);
    const cache = staleIfError<string, number>({ freshMs: 1000, maxStaleMs: 10_000, clock });
    assert.deepEqual(await cache.get('a', async () => 1), { value: 1, loadedAt: 0, stale: false });
    clock.advance(500);
    assert.equal((await cache.get('a', async () => 2)).value, 1, 'fresh: no load');
    clock.advance(5000);
    const stale = await cache.get('a', () => fail(503));
    assert.deepEqual(stale, { value: 1, loadedAt: 0, stale: true });
    clock.advance(5000);
    await assert.rejects(
      cache.get('a', () => fail(503)),
      HttpStatusError,
    );
  });

  test('pipeline: retry outside the breaker stops as soon as the circuit opens', async () => {
    const clock = createFakeClock(0);
    const breaker = circuitBreaker({ minimumRequests: 2, clock });
    const policy = pipeline(
      retry({
        maxAttempts: 10,
        shouldRetry: (e) => !(e instanceof BrokenCircuitError),
        sleep: async () => {},
        clock,
      }),
      breaker,
      timeout({ timeoutMs: 1000 }),
    );
    let calls = 0;
    await assert.rejects(
      policy.execute(() => {
        calls++;
        return fail(503);
      }),
      BrokenCircuitError,
    );
    assert.equal(calls, 2);
  });
});
