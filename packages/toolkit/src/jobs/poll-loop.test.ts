/**
 * The poll loop on node:test's mocked setTimeout: a full batch goes again at
 * once, a short one (or a failed one) waits `idleMs`; `stop()` waits for the
 * batch in progress, and after a stop nothing of the old loop is left — a
 * restart runs one loop, not two.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPollLoop } from './poll-loop.ts';

/** let the loop's promise callbacks run (setImmediate is not mocked) */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** a runOnce whose batches answer `sizes` in turn (then 0), or wait for `hold()` to be released */
function batches(sizes: number[]) {
  let calls = 0;
  let held: ((n: number) => void) | undefined;
  let holding = false;
  return {
    calls: () => calls,
    /** the next batch stays in progress until release(n) */
    hold() {
      holding = true;
    },
    release(n: number) {
      held?.(n);
      held = undefined;
    },
    runOnce(): Promise<number> {
      calls++;
      if (holding) {
        holding = false;
        return new Promise((resolve) => {
          held = resolve;
        });
      }
      const n = sizes.shift() ?? 0;
      return n < 0 ? Promise.reject(new Error('batch failed')) : Promise.resolve(n);
    },
  };
}

describe('poll loop', () => {
  test('a full batch goes again at once; a short or failed one waits idleMs', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const runs = batches([3, 2, -1, 0]);
    const failures: string[] = [];
    const loop = createPollLoop({
      runOnce: runs.runOnce,
      batchSize: 3,
      idleMs: 1000,
      onError: (error) => void failures.push((error as Error).message),
    });
    loop.start();
    t.after(() => loop.stop());
    assert.equal(runs.calls(), 1, 'start() runs the first batch at once');
    await settle();
    t.mock.timers.tick(1);
    assert.equal(runs.calls(), 2, 'exactly a full batch (3 of 3): again at once');
    await settle();
    t.mock.timers.tick(999);
    assert.equal(runs.calls(), 2, '2 of 3: it waits');
    t.mock.timers.tick(1);
    assert.equal(runs.calls(), 3);
    await settle();
    assert.deepEqual(failures, ['batch failed']);
    t.mock.timers.tick(999);
    assert.equal(runs.calls(), 3, 'a failed batch counts as empty: it waits');
    t.mock.timers.tick(1);
    assert.equal(runs.calls(), 4);
  });

  test('stop() waits for the batch in progress; a restart after it runs one loop, not two', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const runs = batches([]);
    const loop = createPollLoop({ runOnce: runs.runOnce, batchSize: 3, idleMs: 1000, onError: () => {} });
    t.after(() => loop.stop());

    // stopped while its first batch is in progress: stop() waits for it, and it schedules nothing after it
    runs.hold();
    loop.start();
    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await settle();
    assert.equal(stopped, false, 'the batch in progress is waited for');
    runs.release(0);
    await stopping;
    assert.equal(stopped, true);
    loop.start();
    assert.equal(runs.calls(), 2);
    await settle();
    t.mock.timers.tick(1000);
    assert.equal(runs.calls(), 3, 'one batch per idleMs');
    await settle();

    // stopped while it waits: the wait is cancelled, so a restart is the only loop
    await loop.stop();
    loop.start();
    assert.equal(runs.calls(), 4);
    await settle();
    t.mock.timers.tick(1000);
    assert.equal(runs.calls(), 5, 'one batch per idleMs');
    await settle();

    await loop.stop();
    t.mock.timers.tick(5000);
    assert.equal(runs.calls(), 5, 'nothing runs after stop()');
  });
});
