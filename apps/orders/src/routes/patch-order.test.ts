import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, createOrder, type TestApp } from '../testing.ts';

let app: TestApp;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

const MERGE_PATCH = 'application/merge-patch+json';

function patch(id: string, body: unknown, ifMatch?: string, contentType = MERGE_PATCH) {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (ifMatch !== undefined) headers['if-match'] = ifMatch;
  return app.inject({ method: 'PATCH', url: `/v1/orders/${id}`, headers, payload: JSON.stringify(body) });
}

describe('PATCH /v1/orders/{id}', () => {
  test('merge-patches items, customerEmail and metadata, re-pricing and bumping the version', async () => {
    const order = await createOrder(app, {
      currency: 'EUR',
      items: [{ sku: 'A-1', quantity: 1 }],
      customerEmail: 'old@example.com',
      metadata: { keep: '1', drop: '2' },
    });
    const response = await patch(
      order.id,
      { items: [{ sku: 'B-2', quantity: 3 }], customerEmail: null, metadata: { drop: null, add: '3' } },
      '"1"',
    );
    assert.equal(response.statusCode, 200, response.body);
    const updated = response.json();
    assert.equal(updated.version, 2);
    assert.equal(response.headers.etag, '"2"');
    assert.deepEqual(updated.items, [{ sku: 'B-2', quantity: 3, unitAmount: 52_231, amount: 156_693 }]);
    assert.equal(updated.totalAmount, 156_693);
    assert.equal(updated.customerEmail, null);
    assert.deepEqual(updated.metadata, { keep: '1', add: '3' });
  });

  test('application/json is accepted as well', async () => {
    const order = await createOrder(app);
    const response = await patch(order.id, { currency: 'USD' }, '"1"', 'application/json');
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().currency, 'USD');
  });

  test('missing If-Match → 428, nothing changes', async () => {
    const order = await createOrder(app);
    const response = await patch(order.id, { currency: 'USD' });
    assert.equal(response.statusCode, 428);
    assert.equal(response.json().type, '/problems/precondition-required');
    const current = (await app.inject({ method: 'GET', url: `/v1/orders/${order.id}` })).json();
    assert.equal(current.currency, 'EUR');
    assert.equal(current.version, 1);
  });

  test('stale If-Match → 412 carrying the current ETag', async () => {
    const order = await createOrder(app);
    assert.equal((await patch(order.id, { currency: 'USD' }, '"1"')).statusCode, 200);
    const response = await patch(order.id, { currency: 'GBP' }, '"1"');
    assert.equal(response.statusCode, 412);
    assert.equal(response.json().currentEtag, '"2"');
    assert.equal(response.headers.etag, '"2"');
  });

  test('malformed If-Match → 400', async () => {
    const order = await createOrder(app);
    for (const value of ['1', 'abc', '"1', 'W/1']) {
      const response = await patch(order.id, { currency: 'USD' }, value);
      assert.equal(response.statusCode, 400, value);
      assert.equal(response.json().errors[0].in, 'header');
    }
  });

  test('a weak ETag never matches → 412', async () => {
    const order = await createOrder(app);
    assert.equal((await patch(order.id, { currency: 'USD' }, 'W/"1"')).statusCode, 412);
  });

  test('only drafts can be edited → 409 order-not-editable', async () => {
    const order = await createOrder(app);
    await app.inject({ method: 'POST', url: `/v1/orders/${order.id}/submit` });
    const response = await patch(order.id, { currency: 'USD' }, '"2"');
    assert.equal(response.statusCode, 409);
    assert.equal(response.json().type, '/problems/order-not-editable');
    assert.equal(response.json().currentStatus, 'submitted');
  });

  test('trying to set status or id → 400, nothing changes', async () => {
    const order = await createOrder(app);
    for (const body of [{ status: 'paid' }, { id: 'ord_x' }, { version: 9 }, {}]) {
      const response = await patch(order.id, body, '"1"');
      assert.equal(response.statusCode, 400, JSON.stringify(body));
    }
    assert.equal((await app.inject({ method: 'GET', url: `/v1/orders/${order.id}` })).json().version, 1);
  });

  test('metadata that would exceed 20 keys after the merge → 400', async () => {
    const metadata = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, 'v']));
    const order = await createOrder(app, { currency: 'EUR', items: [{ sku: 'A', quantity: 1 }], metadata });
    const more = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`n${i}`, 'v']));
    const response = await patch(order.id, { metadata: more }, '"1"');
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().errors[0].pointer, '/metadata');
  });

  test("another tenant's order → 404", async () => {
    const order = await createOrder(app);
    const other = await app.createTenant();
    const response = await app.inject({
      method: 'PATCH',
      url: `/v1/orders/${order.id}`,
      apiKey: other.apiKey,
      headers: { 'content-type': MERGE_PATCH, 'if-match': '"1"' },
      payload: JSON.stringify({ currency: 'USD' }),
    });
    assert.equal(response.statusCode, 404);
  });

  test('20 concurrent PATCHes with the same If-Match: exactly one wins, the rest get 412', async () => {
    const order = await createOrder(app);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => patch(order.id, { metadata: { writer: String(i) } }, '"1"')),
    );
    const statuses = responses.map((r) => r.statusCode);
    assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(','));
    assert.equal(statuses.filter((s) => s === 412).length, 19, statuses.join(','));
    const winner = responses.find((r) => r.statusCode === 200)!.json();
    const current = (await app.inject({ method: 'GET', url: `/v1/orders/${order.id}` })).json();
    assert.equal(current.version, 2);
    assert.deepEqual(current.metadata, winner.metadata);
  });
});
