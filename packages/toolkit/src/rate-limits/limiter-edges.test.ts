/**
 * The in-memory limiter's edges on a fake clock: the decision's `remaining`
 * and `resetS` inside a long window, `exhausted` and `refund` after the window
 * moved on, `close`, and which cells the bounded table forgets (expired ones
 * first, exactly the excess over nine tenths, a re-gridded cell as the newest).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { handStore, limiterOf, takeN, WINDOW_START } from './limiter-harness.ts';

describe('the decision', () => {
  test('remaining counts down and resetS is the time to the end of the window', () => {
    const { clock, limiter } = limiterOf(10, 60);
    clock.set(WINDOW_START + 10_000);
    assert.deepEqual(limiter.take('t1', 'writes'), {
      allowed: true,
      className: 'writes',
      limit: 10,
      windowS: 60,
      remaining: 9,
      resetS: 50,
      retryAfterS: 0,
    });
    assert.equal(limiter.take('t1', 'writes').remaining, 8);
    clock.set(WINDOW_START + 45_500);
    const third = limiter.take('t1', 'writes', 3);
    assert.equal(third.remaining, 5);
    assert.equal(third.resetS, 15, '14.5 s left, rounded up');
  });
});

describe('after the window moved on', () => {
  test('exhausted looks at the current window, not the one the quota was spent in', () => {
    const { clock, limiter } = limiterOf(3, 1);
    assert.equal(takeN(limiter, 3), 3);
    assert.equal(limiter.exhausted('t1', 'writes'), true);
    clock.advance(2000);
    assert.equal(limiter.exhausted('t1', 'writes'), false);
  });

  test('a refund after the window ended gives nothing back to the previous window', () => {
    const { clock, limiter } = limiterOf(10, 1);
    assert.equal(takeN(limiter, 10), 10);
    clock.advance(1000); // the 10 now count fully as the previous window
    limiter.refund('t1', 'writes');
    assert.equal(limiter.take('t1', 'writes').allowed, false);
  });
});

describe('start and close', () => {
  test('start and close reach the store; after close the counts are forgotten', async () => {
    const hand = handStore();
    const { limiter } = limiterOf(3, 60, { store: hand.store });
    await limiter.start();
    assert.deepEqual(hand.calls, ['start']);
    assert.equal(takeN(limiter, 3), 3);
    assert.equal(limiter.exhausted('t1', 'writes'), true);
    await limiter.close();
    assert.deepEqual(hand.calls, ['start', 'close']);
    assert.equal(limiter.exhausted('t1', 'writes'), false);
  });
});

describe('the bounded cell table', () => {
  test('below maxCells nothing is forgotten, even past nine tenths of it', () => {
    const { limiter } = limiterOf(1, 1, { maxCells: 20 });
    for (let i = 0; i < 19; i++) assert.equal(takeN(limiter, 1, `p${i}`), 1);
    assert.equal(takeN(limiter, 1, 'p19'), 1, 'the 20th cell fills the table');
    assert.equal(takeN(limiter, 1, 'p0'), 0, 'the oldest cell kept its count');
  });

  for (const laterMs of [2000, 2500]) {
    test(`full: cells whose two windows are over go first, sparing an older active one (${laterMs} ms later)`, () => {
      const { clock, limiter } = limiterOf(1, 1, { maxCells: 10 });
      assert.equal(takeN(limiter, 1, 'keep'), 1); // the first cell in the table
      for (let i = 0; i < 9; i++) takeN(limiter, 1, `idle-${i}`);
      clock.set(WINDOW_START + laterMs);
      assert.equal(takeN(limiter, 1, 'keep'), 1, 'a new window for keep');
      assert.equal(takeN(limiter, 1, 'new'), 1); // the table is full: the nine idle cells are over
      assert.equal(takeN(limiter, 1, 'keep'), 0, 'keep was not forgotten');
    });
  }

  test('full of active cells: exactly the excess over nine tenths is forgotten, oldest first', () => {
    const { limiter } = limiterOf(1, 1, { maxCells: 10 });
    for (let i = 0; i < 10; i++) assert.equal(takeN(limiter, 1, `a${i}`), 1);
    assert.equal(takeN(limiter, 1, 'new'), 1); // 10 - 9 = 1 cell forgotten
    assert.equal(takeN(limiter, 1, 'a1'), 0, 'the second oldest kept its count');
    assert.equal(takeN(limiter, 1, 'a0'), 1, 'the oldest starts afresh');
  });

  test('a cell re-made for a new window counts as the newest when the oldest are forgotten', () => {
    let widened = false;
    const { limiter } = limiterOf(1, 1, {
      maxCells: 10,
      overridesOf: (p) => (widened && p === 'A' ? { writes: { limit: 1, windowS: 2 } } : undefined),
    });
    assert.equal(takeN(limiter, 1, 'A'), 1);
    for (let i = 1; i <= 8; i++) assert.equal(takeN(limiter, 1, `p${i}`), 1);
    widened = true;
    assert.equal(takeN(limiter, 1, 'A'), 1, 'another window: a fresh count');
    assert.equal(takeN(limiter, 1, 'p9'), 1); // 10 cells
    assert.equal(takeN(limiter, 1, 'p10'), 1); // full: the oldest one (p1) is forgotten
    assert.equal(takeN(limiter, 1, 'A'), 0, 'A (re-made after p1…p8) kept its count');
    assert.equal(takeN(limiter, 1, 'p1'), 1, 'p1 was forgotten');
  });
});
