/** Pricing an order's items and merging its metadata, with the expected values written out. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergeCustomer, mergeMetadata, priceItems, withCustomerEmail } from './order.ts';

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

describe('withCustomerEmail (a client that knows only customerEmail)', () => {
  test('sets the email and keeps the name', () => {
    assert.deepEqual(withCustomerEmail({ email: 'old@example.com', name: 'Ada' }, 'new@example.com'), {
      email: 'new@example.com',
      name: 'Ada',
    });
    assert.deepEqual(withCustomerEmail(null, 'a@example.com'), { email: 'a@example.com', name: null });
  });

  test('clearing the email keeps a known name; nothing known at all is null', () => {
    assert.deepEqual(withCustomerEmail({ email: 'a@example.com', name: 'Ada' }, null), {
      email: null,
      name: 'Ada',
    });
    assert.equal(withCustomerEmail({ email: 'a@example.com', name: null }, null), null);
    assert.equal(withCustomerEmail(null, null), null);
  });
});

describe('mergeCustomer (RFC 7396)', () => {
  const ada = { email: 'ada@example.com', name: 'Ada' };

  test('null removes the customer', () => {
    assert.equal(mergeCustomer(ada, null), null);
    assert.equal(mergeCustomer(null, null), null);
  });

  test('an absent member is kept, a set one replaced, one set to null removed', () => {
    assert.deepEqual(mergeCustomer(ada, {}), { email: 'ada@example.com', name: 'Ada' });
    assert.deepEqual(mergeCustomer(ada, { name: 'Grace' }), { email: 'ada@example.com', name: 'Grace' });
    assert.deepEqual(mergeCustomer(ada, { email: 'g@example.com' }), { email: 'g@example.com', name: 'Ada' });
    assert.deepEqual(mergeCustomer(ada, { email: null }), { email: null, name: 'Ada' });
    assert.deepEqual(mergeCustomer(ada, { name: null }), { email: 'ada@example.com', name: null });
  });

  test('from no customer: the members given, the rest null', () => {
    assert.deepEqual(mergeCustomer(null, { email: 'a@example.com' }), { email: 'a@example.com', name: null });
    assert.deepEqual(mergeCustomer(null, { name: 'Ada' }), { email: null, name: 'Ada' });
    assert.deepEqual(mergeCustomer(null, { email: 'a@example.com', name: 'Ada' }), {
      email: 'a@example.com',
      name: 'Ada',
    });
    assert.equal(mergeCustomer(null, {}), null);
  });

  test('removing every known member leaves no customer', () => {
    assert.equal(mergeCustomer(ada, { email: null, name: null }), null);
    assert.equal(mergeCustomer({ email: null, name: 'Ada' }, { name: null }), null);
    assert.equal(mergeCustomer({ email: 'a@example.com', name: null }, { email: null }), null);
  });
});
