import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, createOrder, type TestApp, type TestTenant } from '../testing.ts';

let app: TestApp;
let other: TestTenant;
const created: string[] = [];

before(async () => {
  app = await buildTestApp();
  other = await app.createTenant({ name: 'Tenant B' });
  for (let i = 0; i < 7; i++) created.push((await createOrder(app)).id);
  // one of A's orders is submitted, to filter by status
  await app.inject({ method: 'POST', url: `/v1/orders/${created[3]}/submit` });
});
after(() => app.close());

describe('GET /v1/orders/{id}', () => {
  test('returns the order with its ETag', async () => {
    const response = await app.inject({ method: 'GET', url: `/v1/orders/${created[0]}` });
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().id, created[0]);
    assert.equal(response.headers.etag, '"1"');
  });

  test('another tenant gets 404, not 403', async () => {
    const response = await app.inject({
      method: 'GET',
      url: `/v1/orders/${created[0]}`,
      apiKey: other.apiKey,
    });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().type, '/problems/not-found');
  });

  test('an unknown but well-formed id → 404', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/orders/ord_00000000000000000000000000' });
    assert.equal(response.statusCode, 404);
  });

  test('a malformed id → 400 pointing at the path parameter', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/orders/123' });
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json().errors[0].in, 'path');
    assert.equal(response.json().errors[0].pointer, '/id');
  });
});

describe('GET /v1/orders', () => {
  test('pages through every order newest first, with a stable cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/orders?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200);
      const body = response.json();
      assert.ok(body.data.length <= 3);
      seen.push(...body.data.map((o: { id: string }) => o.id));
      cursor = body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    assert.deepEqual(seen, [...created].reverse());
    assert.equal(pages, 3);
  });

  test('filters by status', async () => {
    const response = await app.inject({ method: 'GET', url: '/v1/orders?status=submitted' });
    assert.deepEqual(
      response.json().data.map((o: { id: string }) => o.id),
      [created[3]],
    );
  });

  test('default limit is 20 and nextCursor is null on the last page', async () => {
    const body = (await app.inject({ method: 'GET', url: '/v1/orders' })).json();
    assert.equal(body.data.length, 7);
    assert.equal(body.nextCursor, null);
  });

  test("another tenant never sees A's orders", async () => {
    const body = (await app.inject({ method: 'GET', url: '/v1/orders', apiKey: other.apiKey })).json();
    assert.deepEqual(body.data, []);
    const mine = await createOrder(app, undefined, other.apiKey);
    const again = (await app.inject({ method: 'GET', url: '/v1/orders', apiKey: other.apiKey })).json();
    assert.deepEqual(
      again.data.map((o: { id: string }) => o.id),
      [mine.id],
    );
  });

  for (const [name, query, pointer] of [
    ['limit 0', 'limit=0', '/limit'],
    ['limit 101', 'limit=101', '/limit'],
    ['limit not a number', 'limit=ten', '/limit'],
    ['unknown status', 'status=shipped', '/status'],
    ['cursor with bad characters', 'cursor=%24%24%24', '/cursor'],
    ['cursor we never issued', `cursor=${Buffer.from('hello').toString('base64url')}`, '/cursor'],
    ['unknown query parameter', 'color=red', '/color'],
  ]) {
    test(`${name} → 400`, async () => {
      const response = await app.inject({ method: 'GET', url: `/v1/orders?${query}` });
      assert.equal(response.statusCode, 400, response.body);
      const problem = response.json();
      assert.equal(problem.type, '/problems/validation-failed');
      assert.ok(
        problem.errors.some(
          (e: { pointer: string; in: string }) => e.pointer === pointer && e.in === 'query',
        ),
        JSON.stringify(problem.errors),
      );
    });
  }
});
