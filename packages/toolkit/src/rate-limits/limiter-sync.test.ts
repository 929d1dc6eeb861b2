/**
 * The limiter's side of a shared store, driven by hand on a fake clock: what a
 * snapshot publishes (and forgets), how a sync answer is adopted when the cell
 * is gone, re-gridded or rolled on meanwhile, the share after a failed sync,
 * the pre-sync share of the last unit, and failing open once per window when
 * no sync has succeeded for longer than a window.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { answer, limiterWithStore, takeN, WINDOW_START } from './limiter-harness.ts';

describe('the snapshot', () => {
  test('publishes each cell with its counts and the previous window’s weight, rolled to now', () => {
    const { clock, limiter, client } = limiterWithStore(10, 1);
    assert.equal(takeN(limiter, 3), 3);
    clock.set(WINDOW_START + 250);
    const cell = { partition: 't1', className: 'writes', limit: 10, windowMs: 1000 };
    assert.deepEqual(client.snapshot(), [
      { ...cell, windowStartMs: WINDOW_START, count: 3, prevCount: 0, prevWeight: 0.75 },
    ]);
    clock.set(WINDOW_START + 1500);
    assert.deepEqual(client.snapshot(), [
      { ...cell, windowStartMs: WINDOW_START + 1000, count: 0, prevCount: 3, prevWeight: 0.5 },
    ]);
  });

  test('a cell with nothing of ours in either window is forgotten, with the others’ counts', () => {
    const { limiter, client } = limiterWithStore(10, 1);
    limiter.take('t1', 'writes');
    const snap = client.snapshot();
    client.apply(snap, answer(2, { grant: 0, othersCount: 10, othersPrevCount: 0 }));
    assert.equal(limiter.exhausted('t1', 'writes'), true, 'the others spent the quota');
    limiter.refund('t1', 'writes');
    assert.equal(limiter.exhausted('t1', 'writes'), true, 'still: 0 of ours + 10 of theirs');
    assert.deepEqual(client.snapshot(), []);
    assert.equal(limiter.exhausted('t1', 'writes'), false);
  });
});

describe('adopting a sync answer', () => {
  test('an answer for a cell forgotten meanwhile is ignored', () => {
    const { limiter, client } = limiterWithStore(10, 1);
    limiter.take('t1', 'writes');
    const snap = client.snapshot();
    limiter.refund('t1', 'writes');
    assert.deepEqual(client.snapshot(), []); // forgets the cell
    assert.doesNotThrow(() =>
      client.apply(snap, answer(1, { grant: 5, othersCount: 10, othersPrevCount: 0 })),
    );
    assert.doesNotThrow(() => client.applyLocally(snap));
    assert.equal(limiter.exhausted('t1', 'writes'), false, 'nothing was brought back');
  });

  test('an answer with fewer cells than the snapshot leaves the rest as they were', () => {
    const { limiter, client } = limiterWithStore(10, 1);
    limiter.take('t1', 'writes');
    const snap = client.snapshot();
    assert.doesNotThrow(() => client.apply(snap, answer(1)));
    assert.equal(takeN(limiter, 20), 9);
  });

  test('an answer for a cell whose window was changed by an override is ignored', () => {
    let widened = false;
    const { limiter, client } = limiterWithStore(10, 1, {
      overridesOf: () => (widened ? { writes: { limit: 10, windowS: 2 } } : undefined),
    });
    limiter.take('t1', 'writes');
    const snap = client.snapshot();
    widened = true;
    assert.equal(limiter.take('t1', 'writes').allowed, true); // a fresh 2 s cell, same start
    client.apply(snap, answer(1, { grant: 0, othersCount: 9, othersPrevCount: 0 }));
    assert.equal(takeN(limiter, 20), 9);
  });

  test('what was admitted while the sync ran comes out of the new grant', () => {
    const { clock, limiter, client } = limiterWithStore(10, 1);
    assert.equal(takeN(limiter, 2), 2);
    clock.set(WINDOW_START + 100);
    const snap = client.snapshot(); // count 2
    assert.equal(takeN(limiter, 3), 3); // count 5 when the answer arrives
    client.apply(snap, answer(2, { grant: 4, othersCount: 0, othersPrevCount: 0 }));
    assert.equal(takeN(limiter, 10), 1, 'the grant of 4 less the 3 admitted since');
  });

  test('the cell rolled into the next window meanwhile: the others’ count becomes its previous window', () => {
    const { clock, limiter, client } = limiterWithStore(10, 1);
    assert.equal(takeN(limiter, 2), 2);
    clock.set(WINDOW_START + 900);
    const snap = client.snapshot();
    clock.set(WINDOW_START + 1000);
    assert.equal(limiter.exhausted('t1', 'writes'), false); // rolls: our 2 are the previous window
    client.apply(snap, answer(1, { grant: 3, othersCount: 6, othersPrevCount: 1 }));
    // previous window 2 + 6 at full weight: 2 units fit
    assert.equal(takeN(limiter, 5), 2);
  });

  test('the cell rolled two windows on meanwhile: the answer tells it nothing', () => {
    const { clock, limiter, client } = limiterWithStore(10, 1);
    assert.equal(takeN(limiter, 2), 2);
    clock.set(WINDOW_START + 900);
    const snap = client.snapshot();
    clock.set(WINDOW_START + 2000);
    assert.equal(limiter.exhausted('t1', 'writes'), false);
    client.apply(snap, answer(1, { grant: 3, othersCount: 6, othersPrevCount: 1 }));
    assert.equal(takeN(limiter, 20), 10);
  });
});

describe('after a failed sync (applyLocally)', () => {
  test('the cell gets an even share of what is left among the instances known', () => {
    const { limiter, client } = limiterWithStore(100, 1);
    limiter.take('t1', 'writes');
    const snap = client.snapshot();
    client.apply(snap, answer(2, { grant: 0, othersCount: 0, othersPrevCount: 0 }));
    assert.equal(limiter.take('t1', 'writes').allowed, false, 'a grant of 0');
    client.applyLocally(snap);
    assert.equal(takeN(limiter, 100), 49, '(100 - 1) / 2');
  });

  test('a cell that rolled into a new window since the snapshot keeps its pre-sync share', () => {
    const { clock, limiter, client } = limiterWithStore(100, 1);
    limiter.take('t1', 'writes');
    clock.set(WINDOW_START + 900);
    const snap = client.snapshot();
    client.apply(snap, answer(2, { grant: 10, othersCount: 0, othersPrevCount: 0 }));
    clock.set(WINDOW_START + 1000);
    assert.equal(limiter.exhausted('t1', 'writes'), false); // rolls: a tenth of an even share
    client.applyLocally(snap);
    assert.equal(takeN(limiter, 100), 4, '(100 - 1) / (2 × 10)');
  });
});

describe('the share before a sync', () => {
  test('the last unit of a quota is a share of one, not none', () => {
    const { limiter } = limiterWithStore(1, 1);
    assert.equal(limiter.take('t1', 'writes').allowed, true);
  });

  test('a share computed when nothing was left stays none until a sync, though the window slides', () => {
    const { clock, limiter, client } = limiterWithStore(10, 1);
    assert.equal(takeN(limiter, 10), 10);
    clock.set(WINDOW_START + 1000);
    assert.equal(limiter.take('t1', 'writes').allowed, false); // rolls with nothing left
    clock.set(WINDOW_START + 1400);
    client.apply([], answer(1)); // a sync that answered (nothing of this cell)
    clock.set(WINDOW_START + 1500);
    assert.equal(limiter.take('t1', 'writes').allowed, false, 'half the window is free, the share is 0');
  });
});

describe('failing open without a sync', () => {
  test('longer than a window without a sync: the pre-sync share, then once an even share', () => {
    const { clock, limiter, client } = limiterWithStore(40, 1);
    client.apply([], answer(2)); // two instances known, last sync at WINDOW_START
    clock.set(WINDOW_START + 2500);
    // 40 / (2 × 10) = 2 before a sync, then (40 - 2) / 2 = 19 once the store is taken as gone
    assert.equal(takeN(limiter, 100, 'p'), 21);
  });

  test('exactly one window without a sync is not yet failing open', () => {
    const { clock, limiter, client } = limiterWithStore(40, 1);
    client.apply([], answer(2));
    clock.set(WINDOW_START + 1000);
    assert.equal(takeN(limiter, 100, 'p'), 2);
  });
});
