import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ORDER_STATUSES, type OrderStatus } from '../domain/state-machine.ts';
import { buildTestApp, createOrder, type TestApp } from '../testing.ts';
import { CLIENT_ACTIONS } from './order-actions.ts';

let app: TestApp;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

/** Put a new order straight into a status (payment states cannot be reached by clients yet). */
async function orderIn(status: OrderStatus) {
  const order = await createOrder(app);
  await app.db.pool.query('UPDATE orders SET status = $1 WHERE id = $2', [status, order.id]);
  return order.id;
}

function act(id: string, action: string, headers: Record<string, string> = {}, apiKey?: string) {
  return app.inject({ method: 'POST', url: `/v1/orders/${id}/${action}`, headers, apiKey });
}

/** The state machine written out (never read from the code under test): status → action → next status. */
const NEXT: Record<OrderStatus, Record<string, OrderStatus>> = {
  draft: { submit: 'submitted', cancel: 'canceled' },
  submitted: { approve: 'approved', cancel: 'canceled', reopen: 'draft' },
  approved: { cancel: 'canceled', pay: 'payment_pending' },
  payment_pending: {},
  paid: {},
  canceled: { reopen: 'draft' },
};
/** what a 409 lists as allowed, in the order the API gives them */
const ALLOWED: Record<OrderStatus, string[]> = {
  draft: ['submit', 'cancel'],
  submitted: ['approve', 'cancel', 'reopen'],
  approved: ['cancel', 'pay'],
  payment_pending: [],
  paid: [],
  canceled: ['reopen'],
};

describe('every (status × action) pair follows the state machine', () => {
  for (const status of ORDER_STATUSES) {
    for (const action of CLIENT_ACTIONS) {
      const to = NEXT[status][action];
      test(`${status} + ${action} → ${to ?? '409'}`, async () => {
        const id = await orderIn(status);
        const response = await act(id, action);
        if (to) {
          assert.equal(response.statusCode, 200, response.body);
          assert.equal(response.json().status, to);
          assert.equal(response.json().version, 2);
          assert.equal(response.headers.etag, '"2"');
        } else {
          assert.equal(response.statusCode, 409, response.body);
          const problem = response.json();
          assert.equal(problem.type, '/problems/invalid-transition');
          assert.equal(problem.category, 'conflict');
          assert.equal(problem.currentStatus, status);
          assert.deepEqual(problem.allowedActions, ALLOWED[status]);
          const { rows } = await app.db.pool.query('SELECT status, version FROM orders WHERE id = $1', [id]);
          assert.deepEqual(rows[0], { status, version: 1 });
        }
      });
    }
  }
});

describe('actions', () => {
  test('a bodyless POST needs no content type; application/json with an empty body works too', async () => {
    const id = await orderIn('draft');
    assert.equal((await act(id, 'submit', { 'content-type': 'application/json' })).statusCode, 200);
  });

  test('If-Match that matches → 200; stale → 412 with the current ETag; nothing changes', async () => {
    const id = await orderIn('draft');
    const stale = await act(id, 'submit', { 'if-match': '"7"' });
    assert.equal(stale.statusCode, 412);
    assert.equal(stale.json().currentEtag, '"1"');
    assert.equal((await app.inject({ method: 'GET', url: `/v1/orders/${id}` })).json().status, 'draft');
    assert.equal((await act(id, 'submit', { 'if-match': '"1"' })).statusCode, 200);
  });

  test('If-Match: * matches any version', async () => {
    const id = await orderIn('draft');
    assert.equal((await act(id, 'cancel', { 'if-match': '*' })).statusCode, 200);
  });

  test('malformed If-Match → 400', async () => {
    const id = await orderIn('draft');
    assert.equal((await act(id, 'submit', { 'if-match': 'nope' })).statusCode, 400);
  });

  test("another tenant's order → 404 and no change", async () => {
    const id = await orderIn('draft');
    const other = await app.createTenant();
    assert.equal((await act(id, 'cancel', {}, other.apiKey)).statusCode, 404);
    assert.equal((await app.inject({ method: 'GET', url: `/v1/orders/${id}` })).json().status, 'draft');
  });

  test('malformed order id → 400; unknown action → 404', async () => {
    assert.equal((await act('ord_bad', 'submit')).statusCode, 400);
    const id = await orderIn('draft');
    assert.equal((await act(id, 'ship')).statusCode, 404);
  });

  test('concurrent submit and cancel: one wins, the other sees the new state', async () => {
    const id = await orderIn('draft');
    const [a, b] = await Promise.all([
      act(id, 'submit', { 'if-match': '"1"' }),
      act(id, 'cancel', { 'if-match': '"1"' }),
    ]);
    const statuses = [a.statusCode, b.statusCode].sort();
    assert.deepEqual(statuses, [200, 412]);
    const { rows } = await app.db.pool.query('SELECT version FROM orders WHERE id = $1', [id]);
    assert.equal(rows[0].version, 2);
  });
});
