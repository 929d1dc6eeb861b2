import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalPriceList } from '../domain/pricing.ts';
import { buildTestApp, ORDER_BODY, type TestApp } from '../testing.ts';

let app: TestApp;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

async function orderCount(): Promise<number> {
  const { rows } = await app.db.pool.query('SELECT count(*)::int AS n FROM orders');
  return rows[0].n;
}

describe('POST /v1/orders', () => {
  test('creates a priced draft with ETag and Location', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      payload: {
        currency: 'USD',
        items: [
          { sku: 'SKU-1', quantity: 2 },
          { sku: 'AB-9', quantity: 1 },
        ],
        customerEmail: 'ada@example.com',
        metadata: { cart: 'c-1' },
      },
    });
    assert.equal(response.statusCode, 201);
    const order = response.json();
    assert.match(order.id, /^ord_[0-9a-z]{26}$/);
    assert.equal(order.status, 'draft');
    assert.equal(order.version, 1);
    assert.equal(response.headers.etag, '"1"');
    assert.equal(response.headers.location, `/v1/orders/${order.id}`);
    // the local price list's amounts, written out (domain/pricing.test.ts shows how they are derived)
    assert.deepEqual(order.items, [
      { sku: 'SKU-1', quantity: 2, unitAmount: 12_106, amount: 24_212 },
      { sku: 'AB-9', quantity: 1, unitAmount: 39_619, amount: 39_619 },
    ]);
    assert.equal(order.totalAmount, 63_831);
    assert.equal(order.customerEmail, 'ada@example.com');
    assert.deepEqual(order.metadata, { cart: 'c-1' });
    assert.equal(order.pricing.stale, false);
    assert.equal(order.tenantId, undefined, 'the tenant id is not part of the resource');
  });

  test('accepts a request that already sends Idempotency-Key', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { 'idempotency-key': 'abc-123' },
      payload: ORDER_BODY,
    });
    assert.equal(response.statusCode, 201);
  });
});

const tooManyItems = Array.from({ length: 101 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 }));
const tooManyKeys = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v']));

const BAD_BODIES: [string, unknown, string][] = [
  ['unknown top-level field', { ...ORDER_BODY, status: 'paid' }, '/status'],
  ['unknown item field', { currency: 'EUR', items: [{ sku: 'A', quantity: 1, price: 1 }] }, '/items/0/price'],
  ['missing items', { currency: 'EUR' }, '/items'],
  ['empty items', { currency: 'EUR', items: [] }, '/items'],
  ['quantity 0', { currency: 'EUR', items: [{ sku: 'A', quantity: 0 }] }, '/items/0/quantity'],
  ['negative quantity', { currency: 'EUR', items: [{ sku: 'A', quantity: -1 }] }, '/items/0/quantity'],
  ['fractional quantity', { currency: 'EUR', items: [{ sku: 'A', quantity: 1.5 }] }, '/items/0/quantity'],
  ['quantity as string', { currency: 'EUR', items: [{ sku: 'A', quantity: '2' }] }, '/items/0/quantity'],
  ['quantity over 10,000', { currency: 'EUR', items: [{ sku: 'A', quantity: 10_001 }] }, '/items/0/quantity'],
  ['more than 100 items', { currency: 'EUR', items: tooManyItems }, '/items'],
  ['lower-case currency', { ...ORDER_BODY, currency: 'eur' }, '/currency'],
  ['four-letter currency', { ...ORDER_BODY, currency: 'EURO' }, '/currency'],
  ['bad sku', { currency: 'EUR', items: [{ sku: 'sku 1', quantity: 1 }] }, '/items/0/sku'],
  ['metadata with 21 keys', { ...ORDER_BODY, metadata: tooManyKeys }, '/metadata'],
  ['metadata value over 500 chars', { ...ORDER_BODY, metadata: { a: 'x'.repeat(501) } }, '/metadata/a'],
  ['metadata value not a string', { ...ORDER_BODY, metadata: { a: 1 } }, '/metadata/a'],
  ['bad email', { ...ORDER_BODY, customerEmail: 'not-an-email' }, '/customerEmail'],
  ['array body', [ORDER_BODY], ''],
];

describe('POST /v1/orders rejects bad input with a 400 problem and writes nothing', () => {
  for (const [name, body, pointer] of BAD_BODIES) {
    test(name, async () => {
      const before = await orderCount();
      const response = await app.inject({ method: 'POST', url: '/v1/orders', payload: body as object });
      assert.equal(response.statusCode, 400, response.body);
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      const problem = response.json();
      assert.equal(problem.type, '/problems/validation-failed');
      assert.equal(problem.category, 'validation');
      assert.equal(problem.retryable, false);
      assert.ok(
        problem.errors.some((e: { pointer: string }) => e.pointer === pointer),
        `expected an error at ${pointer}: ${JSON.stringify(problem.errors)}`,
      );
      assert.equal(await orderCount(), before);
    });
  }

  test('malformed JSON → 400 malformed-json', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { 'content-type': 'application/json' },
      payload: '{"currency": "EUR", "items": [',
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().type, '/problems/malformed-json');
  });

  test('wrong content type → 415', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { 'content-type': 'text/plain' },
      payload: JSON.stringify(ORDER_BODY),
    });
    assert.equal(response.statusCode, 415);
    assert.equal(response.json().type, '/problems/unsupported-media-type');
  });

  test('missing content type with a body → 415', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { 'content-type': '' },
      payload: JSON.stringify(ORDER_BODY),
    });
    assert.equal(response.statusCode, 415, response.body);
  });

  test('no body at all → 400 (items and currency are required)', async () => {
    const response = await app.inject({ method: 'POST', url: '/v1/orders' });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().type, '/problems/validation-failed');
  });

  test('body over 1 MB → 413', async () => {
    const before = await orderCount();
    const big = JSON.stringify({ ...ORDER_BODY, metadata: { a: 'x'.repeat(1024 * 1024) } });
    const response = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { 'content-type': 'application/json' },
      payload: big,
    });
    assert.equal(response.statusCode, 413);
    assert.equal(response.json().type, '/problems/payload-too-large');
    assert.equal(await orderCount(), before);
  });

  test('prototype pollution attempt is rejected', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { 'content-type': 'application/json' },
      payload: '{"currency":"EUR","items":[{"sku":"A","quantity":1}],"__proto__":{"x":1}}',
    });
    assert.equal(response.statusCode, 400);
  });
});

describe('POST /v1/orders: a retry is answered before pricing', () => {
  test('the replay and a misused key never reach the price source; a new key does', async () => {
    const quoted: string[][] = [];
    const local = createLocalPriceList({ now: () => Date.parse('2026-12-01T10:00:00Z') });
    const counting = await buildTestApp({
      prices: {
        quote: (skus, currency, context) => {
          quoted.push(skus);
          return local.quote(skus, currency, context);
        },
      },
    });
    try {
      const send = (key: string, body: typeof ORDER_BODY) =>
        counting.inject({ method: 'POST', url: '/v1/orders', idempotencyKey: key, payload: body });
      const first = await send('retry-me', ORDER_BODY);
      assert.equal(first.statusCode, 201);
      assert.equal(quoted.length, 1);
      const replay = await send('retry-me', ORDER_BODY);
      assert.equal(replay.statusCode, 201);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.equal(replay.json().id, first.json().id);
      const misuse = await send('retry-me', { ...ORDER_BODY, currency: 'USD' });
      assert.equal(misuse.statusCode, 422);
      assert.equal(quoted.length, 1, 'neither the replay nor the misuse asked for prices');
      assert.equal((await send('another', ORDER_BODY)).statusCode, 201);
      assert.equal(quoted.length, 2);
    } finally {
      await counting.close();
    }
  });
});
