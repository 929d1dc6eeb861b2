/**
 * Behaviours that surviving mutants of the bulkhead and the breaker showed no
 * test checked: rejection messages and reasons, the deadline arithmetic of a
 * queued call, a queue of several waiters, the breaker's events and the
 * window it clears when it closes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFakeClock } from '../testing/fake-clock.ts';
import { circuitBreaker } from './breaker.ts';
import { bulkhead } from './bulkhead.ts';
import { BrokenCircuitError, BulkheadRejectedError, HttpStatusError } from './errors.ts';

const fail = (status: number) => Promise.reject(new HttpStatusError(status));

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('bulkhead', () => {
  test('a full bulkhead says so: reason full, message “bulkhead full”', async () => {
    const limiter = bulkhead({ maxConcurrent: 1 });
    const g = gate();
    const running = limiter.execute(() => g.opened);
    await assert.rejects(
      limiter.execute(async () => 'x'),
      (e) => e instanceof BulkheadRejectedError && e.reason === 'full' && e.message === 'bulkhead full',
    );
    g.open();
    await running;
  });

  test('default minRemainingMs is 10: a deadline 10 ms away is refused at once, 11 ms away queues', async () => {
    const clock = createFakeClock(1000);
    const limiter = bulkhead({ maxConcurrent: 1, maxQueue: 5, clock });
    const reasons: string[] = [];
    limiter.onReject(({ reason }) => reasons.push(reason));
    const g = gate();
    const running = limiter.execute(() => g.opened);
    const refused = limiter.execute(async () => 'x', { deadline: 1010 });
    assert.equal(limiter.queued(), 0, 'refused before queueing');
    await assert.rejects(
      refused,
      (e) =>
        e instanceof BulkheadRejectedError &&
        e.reason === 'queue-timeout' &&
        e.message === 'no bulkhead slot before the deadline',
    );
    const queued = limiter.execute(async () => 'queued', { deadline: 1011 });
    assert.equal(limiter.queued(), 1);
    g.open();
    await running;
    assert.equal(await queued, 'queued');
    assert.deepEqual(reasons, ['queue-timeout']);
  });

  test('a queued call without a deadline waits as long as it takes', async () => {
    const limiter = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const g = gate();
    const running = limiter.execute(() => g.opened);
    const queued = limiter.execute(async () => 'patient');
    // a wrong timer (NaN or Infinity ms fires at once) would have rejected it by now
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(limiter.queued(), 1);
    g.open();
    await running;
    assert.equal(await queued, 'patient');
  });

  test('a call granted a slot before its deadline leaves no timer behind: no late queue-timeout', async () => {
    const clock = createFakeClock(0);
    const limiter = bulkhead({ maxConcurrent: 1, maxQueue: 1, clock });
    const reasons: string[] = [];
    limiter.onReject(({ reason }) => reasons.push(reason));
    const g = gate();
    const running = limiter.execute(() => g.opened);
    const queued = limiter.execute(async () => 'in time', { deadline: 40 }); // leaves the queue after 30 ms
    g.open();
    await running;
    assert.equal(await queued, 'in time');
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(reasons, []);
  });

  test('several waiters each get the slot in turn, in order', async () => {
    const limiter = bulkhead({ maxConcurrent: 1, maxQueue: 3 });
    const g = gate();
    const order: string[] = [];
    const running = limiter.execute(() => g.opened.then(() => order.push('first')));
    const waiters = ['a', 'b', 'c'].map((name) => limiter.execute(async () => order.push(name)));
    assert.equal(limiter.queued(), 3);
    g.open();
    await Promise.all([running, ...waiters]);
    assert.deepEqual(order, ['first', 'a', 'b', 'c']);
    assert.equal(limiter.active(), 0);
    assert.equal(limiter.queued(), 0);
  });
});

describe('circuitBreaker', () => {
  test('onBreak reports the failure rate; rejections say why and are counted, open and half-open', async () => {
    const clock = createFakeClock(0);
    const breaker = circuitBreaker({ minimumRequests: 2, failureRateThreshold: 0.5, openMs: 100, clock });
    const rates: unknown[] = [];
    breaker.onBreak((e) => rates.push(e));
    let rejects = 0;
    breaker.onReject(() => rejects++);
    await breaker.execute(async () => 'ok');
    await assert.rejects(breaker.execute(() => fail(503)));
    assert.deepEqual(rates, [{ failureRate: 0.5 }]);
    await assert.rejects(
      breaker.execute(async () => 'x'),
      (e) => e instanceof BrokenCircuitError && e.message === 'circuit open',
    );
    clock.advance(100);
    const g = gate();
    const probe = breaker.execute(() => g.opened);
    await assert.rejects(
      breaker.execute(async () => 'x'),
      (e) => e instanceof BrokenCircuitError && e.message === 'circuit half-open: probe in flight',
    );
    assert.equal(rejects, 2);
    g.open();
    await probe;
  });

  test('a success never opens it, even when the rate of earlier failures is at the threshold', async () => {
    const breaker = circuitBreaker({
      minimumRequests: 2,
      failureRateThreshold: 0.5,
      clock: createFakeClock(0),
    });
    await assert.rejects(breaker.execute(() => fail(503)));
    await breaker.execute(async () => 'ok'); // 1 of 2 failed = 0.5, but this call succeeded
    assert.equal(breaker.state(), 'closed');
  });

  test('a failure of a call that started before it opened neither re-opens it nor extends openMs', async () => {
    const clock = createFakeClock(0);
    const breaker = circuitBreaker({ minimumRequests: 1, openMs: 100, clock });
    let breaks = 0;
    breaker.onBreak(() => breaks++);
    const g = gate();
    const late = breaker.execute(() => g.opened.then(() => fail(503)));
    await assert.rejects(breaker.execute(() => fail(503)));
    assert.equal(breaker.state(), 'open');
    clock.advance(60);
    g.open();
    await assert.rejects(late);
    assert.equal(breaks, 1);
    clock.advance(40);
    assert.equal(breaker.state(), 'half-open', 'still 100 ms after it first opened');
  });

  test('closing clears the window: failures from before the outage do not count again', async () => {
    const clock = createFakeClock(0);
    const breaker = circuitBreaker({ minimumRequests: 2, windowMs: 10_000, openMs: 100, clock });
    await assert.rejects(breaker.execute(() => fail(503)));
    await assert.rejects(breaker.execute(() => fail(503)));
    assert.equal(breaker.state(), 'open');
    clock.advance(100);
    await breaker.execute(async () => 'probe');
    assert.equal(breaker.state(), 'closed');
    await assert.rejects(breaker.execute(() => fail(503)));
    assert.equal(breaker.state(), 'closed', 'one failure since it closed, under the minimum of 2');
  });
});
