/**
 * The limiter's cells on their own: the table's count through set, replace,
 * delete and clear; the sliding estimate and the wait with the other
 * instances' claims in both windows, worked out by hand for each branch.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Cell, createCellTable, estimate, waitMs } from './cells.ts';

const START = 10_000;

const cell = (extra: Partial<Cell> = {}): Cell => ({
  partition: 't1',
  className: 'writes',
  limit: 10,
  windowMs: 1000,
  windowStartMs: START,
  count: 0,
  prevCount: 0,
  remoteCount: 0,
  remotePrev: 0,
  allowance: 0,
  ...extra,
});

describe('createCellTable', () => {
  test('size counts cells, not sets: replacing a cell keeps it', () => {
    const table = createCellTable();
    const first = cell();
    table.set(first);
    const replaced = cell({ count: 4 });
    table.set(replaced);
    assert.equal(table.size(), 1);
    assert.equal(table.get('t1', 'writes'), replaced);
    table.set(cell({ partition: 't2' }));
    table.set(cell({ className: 'reads' }));
    assert.equal(table.size(), 3);
    assert.equal(table.get('t1', 'reads')?.className, 'reads');
    assert.equal(table.get('t2', 'reads'), undefined);
    assert.equal([...table.all()].length, 3);
  });

  test('delete removes one cell and counts it once; a cell of an unknown class or partition is nothing to delete', () => {
    const table = createCellTable();
    const a = cell();
    table.set(a);
    table.set(cell({ partition: 't2' }));
    table.delete(cell({ className: 'never-seen' }));
    table.delete(cell({ partition: 'never-seen' }));
    assert.equal(table.size(), 2);
    table.delete(a);
    assert.equal(table.size(), 1);
    table.delete(a); // already gone
    assert.equal(table.size(), 1);
    assert.equal(table.get('t1', 'writes'), undefined);
    assert.deepEqual(
      [...table.all()].map((c) => c.partition),
      ['t2'],
    );
  });

  test('clear forgets every cell and the count starts again from zero', () => {
    const table = createCellTable();
    table.set(cell());
    table.set(cell({ className: 'reads' }));
    table.clear();
    assert.equal(table.size(), 0);
    assert.equal(table.get('t1', 'writes'), undefined);
    assert.deepEqual([...table.all()], []);
    table.set(cell());
    assert.equal(table.size(), 1);
  });
});

describe('estimate', () => {
  test('both windows, this instance’s counts and the others’ claims', () => {
    // a quarter into the window: the previous window weighs 0.75
    const c = cell({ prevCount: 6, remotePrev: 2, count: 1, remoteCount: 2 });
    assert.equal(estimate(c, START + 250), (6 + 2) * 0.75 + 1 + 2);
    assert.equal(estimate(c, START), 8 + 3);
  });
});

describe('waitMs', () => {
  test('a cost above the limit can never fit: a whole window', () => {
    assert.equal(waitMs(cell({ windowMs: 10_000 }), START + 200, 11), 10_000);
    // a cost of exactly the limit fits an empty cell: only the share between syncs refused it
    assert.equal(waitMs(cell({ windowMs: 10_000 }), START + 200, 10), 1000);
  });

  test('the current window has room but the previous one still weighs too much: until enough of it slides out', () => {
    // prev 6 + 2 = 8, cur 2 + 1 = 3, cost 1: fits once the previous window weighs (10 − 4) / 8,
    // i.e. a quarter into the window: 10 000 + 250 − 10 200 = 50 ms from now
    const c = cell({ prevCount: 6, remotePrev: 2, count: 2, remoteCount: 1 });
    assert.equal(waitMs(c, START + 200, 1), 50);
    // exactly filling the current window: the previous one must slide out entirely
    assert.equal(waitMs(c, START + 200, 7), 800);
    // already past the moment (the share refused it): at least 1 ms
    assert.equal(waitMs(c, START + 900, 1), 1);
  });

  test('nothing in the previous window and room in this one: the next sync grants more, a second', () => {
    assert.equal(waitMs(cell({ count: 2, remoteCount: 1 }), START + 200, 1), 1000);
    assert.equal(waitMs(cell({ count: 2, remoteCount: 1 }), START + 200, 7), 1000, 'exactly the limit');
  });

  test('the current window alone is over: until it ends and enough of it slides out of the next', () => {
    // cur 8 + 2 = 10, cost 1: the window ends in 800 ms, then a tenth of it must slide out (100 ms)
    const c = cell({ count: 8, remoteCount: 2, prevCount: 5, remotePrev: 5 });
    assert.equal(waitMs(c, START + 200, 1), 900);
    assert.equal(waitMs(cell({ count: 10, windowMs: 10_000 }), START, 1), 11_000);
  });
});
