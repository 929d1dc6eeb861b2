/**
 * Edges of the policies: sliding windows that expire, the breaker's threshold
 * approached from below, a timeout that must not fire early, and what retry
 * and timeout hand down to the work (signal, deadline, attempt number).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFakeClock } from '../testing/fake-clock.ts';
import { circuitBreaker } from './breaker.ts';
import { retryBudget } from './budget.ts';
import type { ExecContext } from './context.ts';
import { HttpStatusError, TimeoutError } from './errors.ts';
import { retry } from './retry.ts';
import { createSlidingWindow } from './sliding-window.ts';
import { timeout } from './timeout.ts';

const fail = (status: number) => Promise.reject(new HttpStatusError(status));

describe('sliding window', () => {
  test('a count stays for windowMs and is gone after it, bucket by bucket', () => {
    const clock = createFakeClock(0);
    const window = createSlidingWindow({ windowMs: 1000, buckets: 10, series: 1, clock });
    window.add(0);
    clock.set(500);
    window.add(0, 2);
    assert.equal(window.sum(0), 3);
    clock.set(999);
    assert.equal(window.sum(0), 3, 'still inside the window');
    clock.set(1000);
    assert.equal(window.sum(0), 2, 'the count added at 0 has left');
    clock.set(1499);
    assert.equal(window.sum(0), 2);
    clock.set(1500);
    assert.equal(window.sum(0), 0);
  });

  test('a gap longer than the window empties every bucket; series are separate; clear empties all', () => {
    const clock = createFakeClock(0);
    const window = createSlidingWindow({ windowMs: 1000, buckets: 4, series: 2, clock });
    for (let t = 0; t < 1000; t += 250) {
      clock.set(t);
      window.add(0);
    }
    window.add(1, 5);
    assert.equal(window.sum(0), 4);
    assert.equal(window.sum(1), 5);
    clock.set(50_000);
    assert.equal(window.sum(0), 0);
    assert.equal(window.sum(1), 0);
    window.add(0);
    assert.equal(window.sum(0), 1, 'counting goes on after the gap');
    window.add(1);
    window.clear();
    assert.equal(window.sum(0), 0);
    assert.equal(window.sum(1), 0);
  });
});

describe('retry budget over time', () => {
  test('allowance is ratio × requests + minRetriesPerSecond × window seconds, and retries age out', () => {
    const clock = createFakeClock(0);
    const budget = retryBudget({ ratio: 0.5, minRetriesPerSecond: 1, windowMs: 10_000, clock });
    assert.equal(budget.remaining(), 10);
    for (let i = 0; i < 4; i++) budget.recordRequest();
    assert.equal(budget.remaining(), 12);
    for (let i = 0; i < 12; i++) assert.equal(budget.tryAcquire(), true);
    assert.equal(budget.tryAcquire(), false);
    assert.equal(budget.remaining(), 0);
    clock.advance(10_000);
    assert.equal(budget.remaining(), 10, 'the requests and the retries left the window together');
  });
});

describe('breaker threshold approached from below', () => {
  const options = { failureRateThreshold: 0.5, minimumRequests: 10, windowMs: 10_000 };

  test('just under the rate stays closed; at the rate it opens', async () => {
    const breaker = circuitBreaker({ ...options, clock: createFakeClock(0) });
    for (let i = 0; i < 6; i++) await breaker.execute(async () => 'ok');
    for (let i = 0; i < 4; i++) await assert.rejects(breaker.execute(() => fail(503)));
    assert.equal(breaker.state(), 'closed', '4 of 10 = 0.4');
    await assert.rejects(breaker.execute(() => fail(503)));
    assert.equal(breaker.state(), 'closed', '5 of 11 ≈ 0.45');
    await assert.rejects(breaker.execute(() => fail(503)));
    assert.equal(breaker.state(), 'open', '6 of 12 = 0.5');
  });

  test('below minimumRequests nothing is judged; the minimum-th failure opens it', async () => {
    const breaker = circuitBreaker({ ...options, clock: createFakeClock(0) });
    for (let i = 0; i < 9; i++) await assert.rejects(breaker.execute(() => fail(503)));
    assert.equal(breaker.state(), 'closed', '9 failures of 9 calls, under the minimum of 10');
    await assert.rejects(breaker.execute(() => fail(503)));
    assert.equal(breaker.state(), 'open');
  });

  test('failures older than the window no longer count', async () => {
    const clock = createFakeClock(0);
    const breaker = circuitBreaker({ ...options, clock });
    for (let i = 0; i < 9; i++) await assert.rejects(breaker.execute(() => fail(503)));
    clock.advance(10_000);
    await assert.rejects(breaker.execute(() => fail(503)));
    assert.equal(breaker.state(), 'closed', 'one failure in the window now');
  });

  test('errors that are not failures (404s) never open it', async () => {
    const breaker = circuitBreaker({
      ...options,
      minimumRequests: 2,
      isFailure: (e) => e instanceof HttpStatusError && e.status >= 500,
      clock: createFakeClock(0),
    });
    for (let i = 0; i < 5; i++) await assert.rejects(breaker.execute(() => fail(404)));
    assert.equal(breaker.state(), 'closed', 'a 404 is the caller’s problem, not the dependency’s');
  });
});

describe('timeout', () => {
  test('a call faster than the timeout returns its value and its signal never aborts', async () => {
    const policy = timeout({ timeoutMs: 10_000 });
    let signal: AbortSignal | undefined;
    const value = await policy.execute(async (ctx) => {
      signal = ctx.signal;
      await new Promise((r) => setTimeout(r, 20));
      return 'fast';
    });
    assert.equal(value, 'fast');
    assert.equal(signal?.aborted, false);
  });

  test('a deadline already past fires at once: TimeoutError', async () => {
    const clock = createFakeClock(1000);
    const policy = timeout({ timeoutMs: 10_000, clock });
    const timeouts: number[] = [];
    policy.onTimeout(({ timeoutMs }) => timeouts.push(timeoutMs));
    await assert.rejects(
      policy.execute(
        ({ signal }) =>
          new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
        { deadline: 900 },
      ),
      (e) => e instanceof TimeoutError && e.message === 'timed out after 0 ms',
    );
    assert.deepEqual(timeouts, [0]);
  });

  test('hands the caller’s deadline and attempt number down, with its own signal', async () => {
    const policy = timeout({ timeoutMs: 10_000 });
    const caller = new AbortController();
    const deadline = Date.now() + 60_000;
    let seen: ExecContext | undefined;
    await policy.execute(
      async (ctx) => {
        seen = ctx;
      },
      { signal: caller.signal, deadline, attempt: 3 },
    );
    assert.equal(seen?.deadline, deadline);
    assert.equal(seen?.attempt, 3);
    assert.notEqual(seen?.signal, caller.signal, 'its own signal, which also aborts on the timer');
  });
});

describe('retry hands the caller’s context to every attempt', () => {
  test('same signal, same deadline, attempt numbers 1, 2, 3', async () => {
    const clock = createFakeClock(0);
    const policy = retry({
      maxAttempts: 3,
      shouldRetry: () => true,
      clock,
      sleep: async () => {},
      random: () => 0,
    });
    const caller = new AbortController();
    const seen: ExecContext[] = [];
    await assert.rejects(
      policy.execute(
        (ctx) => {
          seen.push(ctx);
          return fail(503);
        },
        { signal: caller.signal, deadline: 5000 },
      ),
    );
    assert.deepEqual(
      seen.map((c) => c.attempt),
      [1, 2, 3],
    );
    for (const ctx of seen) {
      assert.equal(ctx.signal, caller.signal);
      assert.equal(ctx.deadline, 5000);
    }
  });

  test('shouldRetry sees the attempt that failed; onRetry and onGiveUp report attempt and delay', async () => {
    const clock = createFakeClock(0);
    const asked: number[] = [];
    const retries: [number, number][] = [];
    const policy = retry({
      maxAttempts: 5,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      shouldRetry: (_e, attempt) => {
        asked.push(attempt);
        return true;
      },
      clock,
      random: () => 0.5,
      sleep: async (ms) => clock.advance(ms),
    });
    policy.onRetry(({ attempt, delayMs }) => retries.push([attempt, delayMs]));
    const gaveUp: [number, number][] = [];
    policy.onGiveUp(({ attempt, delayMs }) => gaveUp.push([attempt, delayMs]));
    // deadline 190: after pauses of 50 and 100 (t = 150), a pause of 200 + minAttempt 10 no longer fits
    await assert.rejects(policy.execute(() => fail(503), { deadline: 190 }));
    assert.deepEqual(asked, [1, 2, 3]);
    assert.deepEqual(retries, [
      [1, 50],
      [2, 100],
    ]);
    assert.deepEqual(gaveUp, [[3, 200]]);
  });
});
