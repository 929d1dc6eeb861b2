/** The local price list: unit amounts written out (sha256 of the SKU, first 4 bytes, mod 99,900, plus 100). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLocalPriceList, localUnitAmount, UnknownSkuError } from './pricing.ts';

describe('localUnitAmount', () => {
  // computed outside the code: printf SKU | openssl dgst -sha256 → first 8 hex digits
  const table: [string, number][] = [
    ['SKU-1', 12_106], // 0x75bbb0f6 = 1975234806
    ['AB-9', 39_619], // 0x9951a50f = 2572264719
    ['B-2', 52_231], // 0xb3298783 = 3005843331
    ['A', 53_716], // 0x559aead0 = 1436216016
    ['A-1', 22_637], // 0xbc4e7be9 = 3159260137
    ['Z9', 55_349], // 0x43f02fcd = 1139814349
  ];
  for (const [sku, amount] of table) {
    test(`${sku} → ${amount}`, () => assert.equal(localUnitAmount(sku), amount));
  }

  test('always between 100 and 99,999 minor units', () => {
    for (let i = 0; i < 2000; i++) {
      const amount = localUnitAmount(`SKU-${i}`);
      assert.ok(Number.isInteger(amount) && amount >= 100 && amount <= 99_999, `SKU-${i}: ${amount}`);
    }
  });
});

describe('createLocalPriceList', () => {
  test('quotes every SKU at its local amount, as of the clock, never stale', async () => {
    const prices = createLocalPriceList({ now: () => Date.UTC(2026, 2, 4, 5, 6, 7) });
    const quote = await prices.quote(['SKU-1', 'B-2'], 'EUR');
    assert.deepEqual(
      [...quote.unitAmounts],
      [
        ['SKU-1', 12_106],
        ['B-2', 52_231],
      ],
    );
    assert.equal(quote.asOf, '2026-03-04T05:06:07.000Z');
    assert.equal(quote.stale, false);
  });

  test('UnknownSkuError names the SKU', () => {
    const error = new UnknownSkuError('NOPE-1');
    assert.equal(error.sku, 'NOPE-1');
    assert.equal(error.message, 'unknown SKU NOPE-1');
    assert.equal(error.name, 'UnknownSkuError');
  });
});
