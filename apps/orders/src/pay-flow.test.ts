/** The pay flow end to end, in process: API + worker + sandbox partners, real Postgres. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { createLogger } from '@steadfast/toolkit/observability';
import { eventually } from '@steadfast/toolkit/testing';
import { buildTestApp, createTestWorker, type TestApp } from './testing.ts';

let sandbox: RunningSandbox;
let app: TestApp;
let worker: ReturnType<typeof createTestWorker>;

before(async () => {
  sandbox = await startSandbox({ chargeProcessingMs: 0 });
});
after(() => sandbox.close());
beforeEach(async () => {
  await sandbox.reset();
  app = await buildTestApp({ partners: { urls: sandbox.urls, tuning: { pricing: { freshMs: 0 } } } });
  worker = createTestWorker(app, {
    log: createLogger({ level: process.env.PAYFLOW_LOG ?? 'silent' }),
    jobMaxAttempts: 8, // enough polls of a pending charge, whatever the jitter draws
    jobMaxDelayMs: 50,
    workerDeadAfterS: 5,
  });
  await worker.start();
});
afterEach(async () => {
  await worker.stop();
  await app.close();
});

let skus = 0;
async function approvedOrder(unitAmount = 1000, customerEmail = 'buyer@example.com') {
  const sku = `PAY-${++skus}`;
  await fetch(`${sandbox.base}/pricing/v1/prices/${sku}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ unitAmount, currency: 'EUR' }),
  });
  const order = (
    await app.inject({
      method: 'POST',
      url: '/v1/orders',
      payload: { currency: 'EUR', items: [{ sku, quantity: 1 }], customerEmail },
    })
  ).json();
  await app.inject({ method: 'POST', url: `/v1/orders/${order.id}/submit` });
  await app.inject({ method: 'POST', url: `/v1/orders/${order.id}/approve` });
  return order.id as string;
}
function pay(orderId: string, headers: Record<string, string> = {}, key = randomUUID()) {
  return app.inject({ method: 'POST', url: `/v1/orders/${orderId}/pay`, idempotencyKey: key, headers });
}
async function waitForOperation(id: string) {
  return (
    await app.inject({ method: 'GET', url: `/v1/operations/${id}`, headers: { prefer: 'wait=10' } })
  ).json();
}
async function order(id: string) {
  return (await app.inject({ method: 'GET', url: `/v1/orders/${id}` })).json();
}
const ledger = async () =>
  ((await (await fetch(`${sandbox.base}/payments/ledger`)).json()) as { data: { reference: string }[] }).data;
const onCharges = { path: '/payments/v1/charges*' };
const postCharges = { method: 'POST', path: '/payments/v1/charges' };

describe('pay', () => {
  test('happy path: 202 + operation; Prefer: wait gives the final answer; order paid; one charge; a notification', async () => {
    const id = await approvedOrder();
    const accepted = await pay(id);
    assert.equal(accepted.statusCode, 202);
    assert.match(String(accepted.headers.location), /^\/v1\/operations\/op_/);
    assert.equal(accepted.headers['retry-after'], '1');
    const op = await waitForOperation(accepted.json().id);
    assert.equal(op.status, 'succeeded');
    assert.match(op.result.chargeId, /^ch_/);
    assert.equal((await order(id)).status, 'paid');
    assert.equal((await ledger()).length, 1);
    const messages = await eventually(async () => {
      const data = (
        (await (await fetch(`${sandbox.base}/messaging/ledger`)).json()) as {
          data: { template: string; to: string }[];
        }
      ).data;
      return data.some((m) => m.template === 'order.paid') && data;
    });
    assert.equal(messages.find((m) => m.template === 'order.paid')?.to, 'buyer@example.com');
  });

  test('Prefer: wait=N on the pay request answers 200 with the ended operation; a replay returns the stored 202', async () => {
    const id = await approvedOrder();
    const key = randomUUID();
    const waited = await pay(id, { prefer: 'wait=10' }, key);
    assert.equal(waited.statusCode, 200);
    assert.equal(waited.headers['preference-applied'], 'wait=10');
    assert.equal(waited.json().status, 'succeeded');
    const replay = await pay(id, { prefer: 'wait=10' }, key);
    assert.equal(replay.statusCode, 202);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.json().id, waited.json().id);
  });

  test('decline: operation failed with payment-declined, order back to approved with lastPaymentError', async () => {
    const id = await approvedOrder(1002);
    const op = await waitForOperation((await pay(id)).json().id);
    assert.equal(op.status, 'failed');
    assert.equal(op.error.type, '/problems/payment-declined');
    assert.equal(op.error.status, 402);
    const current = await order(id);
    assert.equal(current.status, 'approved');
    assert.equal(current.lastPaymentError.code, 'card_declined');
    assert.equal(current.lastPaymentError.type, '/problems/payment-declined');
    assert.match(current.lastPaymentError.chargeId, /^ch_/);
  });

  test('a partner 4xx is payment-rejected (502, dependency, not retryable), not a decline: nothing charged, chargeId null, a later pay succeeds', async () => {
    const refusal = { type: 'invalid_request_error', code: 'parameter_invalid', message: 'bad amount' };
    await sandbox.chaos('payments', {
      rules: [{ match: postCharges, fault: 'error', status: 400, count: 1, body: { error: refusal } }],
    });
    const id = await approvedOrder();
    const opId = (await pay(id)).json().id;
    const op = await waitForOperation(opId);
    assert.equal(op.status, 'failed');
    const { type, status, category, retryable, partnerStatus, partnerCode } = op.error;
    assert.deepEqual(
      { type, status, category, retryable, partnerStatus, partnerCode },
      {
        type: '/problems/payment-rejected',
        status: 502,
        category: 'dependency',
        retryable: false,
        partnerStatus: 400,
        partnerCode: 'parameter_invalid',
      },
    );
    assert.equal(op.lastError, undefined, 'no "being reconciled" message on an ended operation');
    const current = await order(id);
    assert.equal(current.status, 'approved');
    assert.deepEqual(current.lastPaymentError, {
      type: '/problems/payment-rejected',
      code: 'rejected_by_partner',
      chargeId: null,
      partnerStatus: 400,
      partnerCode: 'parameter_invalid',
    });
    assert.equal((await ledger()).length, 0);
    await eventually(async () => {
      const list = (await app.inject({ method: 'GET', url: '/v1/dead-letters?task=take-payment' })).json();
      return list.data.some((d: { payload: { operationId: string } }) => d.payload.operationId === opId);
    }); // an operator is told

    const again = await waitForOperation((await pay(id)).json().id);
    assert.equal(again.status, 'succeeded');
    assert.equal((await order(id)).status, 'paid');
    assert.equal((await ledger()).length, 1);
  });

  test('a refusal after a lost answer that did charge: the charge found by reference settles it, not a rejection', async () => {
    await sandbox.chaos('payments', {
      rules: [
        { match: postCharges, fault: 'lost-response', count: 1 }, // charged, answer lost
        { match: { method: 'GET', path: '/payments/v1/charges' }, fault: 'lost-response', count: 2 },
        { match: postCharges, fault: 'error', status: 422 }, // then every charge request is refused
      ],
    });
    const id = await approvedOrder();
    const op = await waitForOperation((await pay(id)).json().id);
    assert.equal(op.status, 'succeeded');
    assert.equal((await order(id)).status, 'paid');
    assert.equal((await ledger()).length, 1);
  });

  test('503s, then success: one charge', async () => {
    await sandbox.chaos('payments', {
      rules: [
        { match: { method: 'POST', path: '/payments/v1/charges' }, fault: 'error', status: 503, count: 4 },
      ],
    });
    const id = await approvedOrder();
    const op = await waitForOperation((await pay(id)).json().id);
    assert.equal(op.status, 'succeeded');
    assert.equal((await ledger()).length, 1);
  });

  test('lost responses: one charge', async () => {
    await sandbox.chaos('payments', {
      rules: [{ match: { method: 'POST', path: '/payments/v1/charges' }, fault: 'lost-response', count: 2 }],
    });
    const id = await approvedOrder();
    assert.equal((await waitForOperation((await pay(id)).json().id)).status, 'succeeded');
    assert.equal((await ledger()).length, 1);
  });

  test('a pending charge keeps the operation running until it settles', async () => {
    await sandbox.chaos('payments', { settlement: { settleAfterMs: [30, 60] } });
    const id = await approvedOrder(1005);
    const accepted = await pay(id);
    const early = (await app.inject({ method: 'GET', url: `/v1/operations/${accepted.json().id}` })).json();
    assert.notEqual(early.status, 'failed');
    assert.equal((await waitForOperation(accepted.json().id)).status, 'succeeded');
  });

  test('every attempt fails: dead letter, operation still running with lastError, order payment_pending; replay after recovery succeeds with one charge', async () => {
    await sandbox.chaos('payments', { rules: [{ match: onCharges, fault: 'error', status: 503 }] });
    const id = await approvedOrder();
    const opId = (await pay(id)).json().id;
    const dead = await eventually(
      async () => {
        const list = (await app.inject({ method: 'GET', url: '/v1/dead-letters?task=take-payment' })).json();
        return list.data.find((d: { payload: { operationId: string } }) => d.payload.operationId === opId);
      },
      { timeoutMs: 10_000 },
    );
    assert.equal(dead.status, 'dead');
    const op = (await app.inject({ method: 'GET', url: `/v1/operations/${opId}` })).json();
    assert.equal(op.status, 'running');
    assert.equal(op.lastError.dependency, 'payments');
    assert.equal((await order(id)).status, 'payment_pending');

    await sandbox.chaos('payments', {});
    const key = randomUUID();
    const replayed = await app.inject({
      method: 'POST',
      url: `/v1/dead-letters/${dead.id}/replay`,
      idempotencyKey: key,
    });
    assert.equal(replayed.statusCode, 200);
    assert.equal(replayed.json().status, 'replayed');
    const again = await app.inject({
      method: 'POST',
      url: `/v1/dead-letters/${dead.id}/replay`,
      idempotencyKey: randomUUID(),
    });
    assert.equal(again.statusCode, 409, 'replaying twice runs once');
    assert.equal((await waitForOperation(opId)).status, 'succeeded');
    assert.equal((await ledger()).length, 1);
    assert.equal((await order(id)).status, 'paid');
  });

  test('pay on an order that is not approved → 409 invalid-transition; operations are tenant-scoped', async () => {
    const draft = (
      await app.inject({
        method: 'POST',
        url: '/v1/orders',
        payload: { currency: 'EUR', items: [{ sku: 'PAY-X', quantity: 1 }] },
      })
    ).json();
    const refused = await pay(draft.id);
    assert.equal(refused.statusCode, 409);
    assert.deepEqual(refused.json().allowedActions, ['submit', 'cancel']);
    const id = await approvedOrder();
    const opId = (await pay(id)).json().id;
    const other = await app.createTenant();
    assert.equal(
      (await app.inject({ method: 'GET', url: `/v1/operations/${opId}`, apiKey: other.apiKey })).statusCode,
      404,
    );
    assert.deepEqual(
      (await app.inject({ method: 'GET', url: '/v1/operations', apiKey: other.apiKey })).json().data,
      [],
    );
    assert.deepEqual(
      (await app.inject({ method: 'GET', url: '/v1/dead-letters', apiKey: other.apiKey })).json().data,
      [],
    );
  });
});

describe('outbox', () => {
  test('each event reaches the messaging ledger once, despite messaging faults', async () => {
    await sandbox.chaos('messaging', {
      seed: 5,
      rules: [
        { fault: 'error', status: 503, probability: 0.5 },
        { fault: 'lost-response', probability: 0.2 },
      ],
    });
    const ids = [];
    for (let i = 0; i < 4; i++) {
      const o = (
        await app.inject({
          method: 'POST',
          url: '/v1/orders',
          payload: { currency: 'EUR', items: [{ sku: 'OB-1', quantity: 1 }], customerEmail: 'c@example.com' },
        })
      ).json();
      await app.inject({ method: 'POST', url: `/v1/orders/${o.id}/submit` });
      await app.inject({ method: 'POST', url: `/v1/orders/${o.id}/cancel` });
      ids.push(o.id);
    }
    const { rows } = await app.db.pool.query(
      `SELECT id FROM outbox WHERE type IN ('order.submitted', 'order.canceled')`,
    );
    assert.equal(rows.length, 8);
    const messages = await eventually(
      async () => {
        const data = (
          (await (await fetch(`${sandbox.base}/messaging/ledger`)).json()) as { data: { key: string }[] }
        ).data;
        return data.length >= 8 && data;
      },
      { timeoutMs: 30_000 }, // the messaging breaker opens for 5 s on the way
    );
    assert.equal(messages.length, 8);
    assert.deepEqual(new Set(messages.map((m) => m.key)), new Set(rows.map((r) => `notify:${r.id}`)));
  });
});
