/** The timeout policy: its allowance for a stall of our own process, when its timer fires, and the caller's signal. */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import { TimeoutError } from './errors.ts';
import { stallExtensionMs, timeout } from './timeout.ts';

test('a timer that fired on time, or a little late, expires the attempt now', () => {
  assert.equal(stallExtensionMs(300, 0, undefined, 0), 0);
  assert.equal(stallExtensionMs(300, 299, undefined, 0), 0);
  assert.equal(stallExtensionMs(20, 49, undefined, 0), 0, 'stalls under 50 ms are ordinary jitter');
});

test('a stall longer than the period gives one more period, capped by the deadline', () => {
  assert.equal(stallExtensionMs(300, 1600, undefined, 0), 300);
  assert.equal(stallExtensionMs(300, 1600, 10_100, 10_000), 100, 'only what is left of the deadline');
  assert.equal(stallExtensionMs(300, 1600, 10_000, 10_000), 0, 'the deadline has passed: expire now');
  assert.equal(stallExtensionMs(300, 1600, 9_000, 10_000), 0);
});

test('the boundary: a stall of exactly the period (or of 50 ms for short ones) is not yet a stall', () => {
  assert.equal(stallExtensionMs(300, 300, undefined, 0), 0);
  assert.equal(stallExtensionMs(300, 301, undefined, 0), 300);
  assert.equal(stallExtensionMs(20, 50, undefined, 0), 0);
  assert.equal(stallExtensionMs(20, 51, undefined, 0), 20);
});

/** work that never answers, and rejects with `rejectWith(signal)` when its signal aborts */
const hang =
  (rejectWith: (signal: AbortSignal) => unknown = (s) => s.reason) =>
  ({ signal }: { signal: AbortSignal }) =>
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(rejectWith(signal))));

/** lets the timeout's setImmediate (queued before this one) run, and every promise it settles */
const afterImmediate = () => new Promise((resolve) => setImmediate(resolve));

describe('timeout: when its timer fires (timers and performance.now mocked)', () => {
  test('on time: the attempt expires in that turn', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let perfNow = 5000;
    t.mock.method(performance, 'now', () => perfNow);
    const seen: { outcome: unknown } = { outcome: 'pending' };
    timeout({ timeoutMs: 100 })
      .execute(hang())
      .catch((e: unknown) => {
        seen.outcome = e;
      });
    perfNow = 5100;
    t.mock.timers.tick(100);
    await afterImmediate();
    assert.ok(seen.outcome instanceof TimeoutError);
    assert.equal((seen.outcome as Error).message, 'timed out after 100 ms');
  });

  test('150 ms late (the process was stalled): one more period before the TimeoutError', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let perfNow = 5000;
    t.mock.method(performance, 'now', () => perfNow);
    const seen: { outcome: unknown } = { outcome: 'pending' };
    timeout({ timeoutMs: 100 })
      .execute(hang())
      .catch((e: unknown) => {
        seen.outcome = e;
      });
    perfNow = 5250;
    t.mock.timers.tick(100);
    await afterImmediate();
    assert.equal(seen.outcome, 'pending', 'the stalled attempt gets another period');
    t.mock.timers.tick(99);
    await afterImmediate();
    assert.equal(seen.outcome, 'pending');
    t.mock.timers.tick(1);
    await afterImmediate();
    assert.ok((seen.outcome as unknown) instanceof TimeoutError, 'then the TimeoutError');
  });
});

describe('timeout and the caller signal', () => {
  test('a caller already aborted: the work starts with its signal aborted, with the caller’s reason', async () => {
    const controller = new AbortController();
    const reason = new Error('caller left');
    controller.abort(reason);
    let seen: unknown;
    await assert.rejects(
      timeout({ timeoutMs: 60_000 }).execute(
        async ({ signal }) => {
          seen = signal.aborted ? signal.reason : 'not aborted';
          throw signal.reason;
        },
        { signal: controller.signal },
      ),
      (e) => e === reason,
    );
    assert.equal(seen, reason);
  });

  test('no listener is left on the caller’s signal once the call ends', async () => {
    const controller = new AbortController();
    assert.equal(
      await timeout({ timeoutMs: 60_000 }).execute(async () => 'done', { signal: controller.signal }),
      'done',
    );
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  test('work that rejects with nothing after the timeout: the caller still gets the TimeoutError', async () => {
    await assert.rejects(timeout({ timeoutMs: 1 }).execute(hang(() => undefined)), TimeoutError);
  });
});
