/** Pricing an order's items and merging its metadata, with the expected values written out. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergeMetadata, priceItems } from './order.ts';

describe('priceItems', () => {
  const quote = {
    unitAmounts: new Map([
      ['A-1', 250],
      ['B-2', 1999],
    ]),
    asOf: '2026-01-01T00:00:00.000Z',
    stale: false,
  };

  test('amount = unit × quantity per line; the total is their sum', () => {
    assert.deepEqual(
      priceItems(
        [
          { sku: 'A-1', quantity: 3 },
          { sku: 'B-2', quantity: 2 },
          { sku: 'A-1', quantity: 1 },
        ],
        quote,
      ),
      {
        items: [
          { sku: 'A-1', quantity: 3, unitAmount: 250, amount: 750 },
          { sku: 'B-2', quantity: 2, unitAmount: 1999, amount: 3998 },
          { sku: 'A-1', quantity: 1, unitAmount: 250, amount: 250 },
        ],
        totalAmount: 4998,
      },
    );
  });

  test('no items: total 0; a SKU without a price throws', () => {
    assert.deepEqual(priceItems([], quote), { items: [], totalAmount: 0 });
    assert.throws(() => priceItems([{ sku: 'C-3', quantity: 1 }], quote), /no price for C-3/);
  });
});

describe('mergeMetadata (RFC 7396 on flat strings)', () => {
  test('null removes, a string sets or replaces, absent keys stay', () => {
    assert.deepEqual(
      mergeMetadata({ keep: '1', drop: '2', change: 'a' }, { drop: null, change: 'b', add: '3' }),
      {
        keep: '1',
        change: 'b',
        add: '3',
      },
    );
  });

  test('removing a key that is not there is a no-op; the input is not modified', () => {
    const current = { a: '1' };
    assert.deepEqual(mergeMetadata(current, { missing: null }), { a: '1' });
    assert.deepEqual(mergeMetadata(current, {}), { a: '1' });
    assert.deepEqual(current, { a: '1' });
  });
});
