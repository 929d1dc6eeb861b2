/** retry at its edges: the deadline boundary, what the give-up and budget events carry, no zero-length sleep. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFakeClock } from '../testing/fake-clock.ts';
import { retryBudget } from './budget.ts';
import { HttpStatusError } from './errors.ts';
import { retry } from './retry.ts';

function harness(options: Partial<Parameters<typeof retry>[0]> = {}) {
  const clock = createFakeClock(1000);
  const sleeps: number[] = [];
  const policy = retry({
    maxAttempts: 3,
    minAttemptMs: 10,
    shouldRetry: () => true,
    clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.advance(ms);
    },
    ...options,
  });
  return { policy, sleeps, clock };
}

/** fails once with `error`, then answers 'ok' */
function failOnce(error: unknown) {
  let calls = 0;
  return {
    work: async () => {
      calls++;
      if (calls === 1) throw error;
      return 'ok';
    },
    calls: () => calls,
  };
}

describe('retry and the caller deadline', () => {
  test('now + delay + minAttemptMs exactly at the deadline: the retry still runs', async () => {
    const { policy, sleeps } = harness();
    const once = failOnce(new HttpStatusError(503, { retryAfterMs: 100 }));
    assert.equal(await policy.execute(once.work, { deadline: 1110 }), 'ok');
    assert.equal(once.calls(), 2);
    assert.deepEqual(sleeps, [100]);
  });

  test('one ms past it: the caller gets the failure, and onGiveUp says which attempt and delay', async () => {
    const { policy, sleeps } = harness();
    const error = new HttpStatusError(503, { retryAfterMs: 100 });
    const givenUp: unknown[] = [];
    policy.onGiveUp((event) => givenUp.push(event));
    const once = failOnce(error);
    await assert.rejects(policy.execute(once.work, { deadline: 1109 }), (e) => e === error);
    assert.equal(once.calls(), 1);
    assert.deepEqual(sleeps, []);
    assert.deepEqual(givenUp, [{ attempt: 1, delayMs: 100, error }]);
  });
});

describe('retry events and pauses', () => {
  test('a Retry-After longer than accepted: onGiveUp with an infinite delay', async () => {
    const { policy } = harness({ maxRetryAfterMs: 1000 });
    const error = new HttpStatusError(429, { retryAfterMs: 1001 });
    const givenUp: unknown[] = [];
    policy.onGiveUp((event) => givenUp.push(event));
    await assert.rejects(policy.execute(failOnce(error).work), (e) => e === error);
    assert.deepEqual(givenUp, [{ attempt: 1, delayMs: Number.POSITIVE_INFINITY, error }]);
  });

  test('a spent budget: onBudgetExhausted carries the failure', async () => {
    const budget = retryBudget({ ratio: 0, minRetriesPerSecond: 0, clock: createFakeClock(1000) });
    const { policy } = harness({ budget });
    const error = new HttpStatusError(503, { retryAfterMs: 5 });
    const exhausted: unknown[] = [];
    policy.onBudgetExhausted((event) => exhausted.push(event));
    await assert.rejects(policy.execute(failOnce(error).work), (e) => e === error);
    assert.deepEqual(exhausted, [{ error }]);
  });

  test('a zero delay (Retry-After: 0) retries without calling sleep', async () => {
    const { policy, sleeps } = harness();
    const once = failOnce(new HttpStatusError(503, { retryAfterMs: 0 }));
    assert.equal(await policy.execute(once.work), 'ok');
    assert.equal(once.calls(), 2);
    assert.deepEqual(sleeps, []);
  });
});
