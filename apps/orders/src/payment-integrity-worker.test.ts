/**
 * Payment integrity through the worker (take-payment: the charge answer, the
 * lookup by reference after a lost answer) and the reconciliation sweep. The
 * payments partner is a fake that answers what each test needs (the sandbox
 * never returns another order's charge); pricing and messaging are the sandbox.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { eventually } from '@steadfast/toolkit/testing';
import { buildTestApp, createTestWorker, type TestApp, type TestTenant } from './testing.ts';
import {
  type FakePaymentsPartner,
  startFakePaymentsPartner,
} from './testing-fixtures/fake-payments-partner.ts';
import {
  approvedOrder,
  assertHeld,
  mismatchesCounted,
  mismatchLetters,
  openPayment,
  paymentEvents,
  stateOf,
} from './testing-fixtures/payment-integrity.ts';

let sandbox: RunningSandbox;
let partner: FakePaymentsPartner;
let app: TestApp;
let worker: ReturnType<typeof createTestWorker>;
let other: TestTenant;

before(async () => {
  sandbox = await startSandbox({ chargeProcessingMs: 0 });
});
after(() => sandbox.close());
beforeEach(async () => {
  partner = await startFakePaymentsPartner();
  app = await buildTestApp({
    partners: { urls: { ...sandbox.urls, paymentsUrl: partner.url }, tuning: { pricing: { freshMs: 0 } } },
  });
  other = await app.createTenant({ name: 'Tenant B' });
  worker = createTestWorker(app, {
    reconcile: { intervalS: 3600, pendingAgeS: 0, abandonAfterS: 3600 },
  });
});
afterEach(async () => {
  await worker.stop();
  await app.close();
  await partner.close();
});

const ORDER = 84193; // 841.93 EUR
const charge = (fields: Record<string, unknown>) => ({
  id: `ch_${randomUUID().replaceAll('-', '')}`,
  status: 'succeeded',
  amount: ORDER,
  currency: 'EUR',
  ...fields,
});
const operation = async (opId: string) =>
  (await app.inject({ method: 'GET', url: `/v1/operations/${opId}` })).json();
/** Pay with the worker running, until the operation shows a payment-mismatch. */
async function payUntilHeld(orderId: string) {
  const opId = await openPayment(app, orderId);
  await worker.start();
  await eventually(async () => (await operation(opId)).lastError?.type === '/problems/payment-mismatch');
  return opId;
}

describe('payment integrity: the worker', () => {
  test('the partner answers our charge request with 1 cent in USD: held, not paid', async () => {
    const orderId = await approvedOrder(app, { amount: ORDER });
    partner.defaultPost = {
      answer: charge({ amount: 1, currency: 'USD', reference: `pay:${orderId}:1` }),
    };
    const opId = await payUntilHeld(orderId);
    await assertHeld(app, { orderId, opId, fields: ['amount', 'currency'] });
  });

  for (const [name, fields, wrong] of [
    ['amount', ['amount'], { amount: 1 }],
    ['currency', ['currency'], { currency: 'USD' }],
  ] as const) {
    test(`lookup by reference after a lost answer finds a charge of another ${name}: held`, async () => {
      const orderId = await approvedOrder(app, { amount: ORDER });
      partner.charges.push(charge({ reference: `pay:${orderId}:1`, ...wrong }));
      const opId = await payUntilHeld(orderId);
      await assertHeld(app, { orderId, opId, fields: [...fields] });
      assert.ok(partner.seen.includes('GET /v1/charges'), 'found through the lookup');
    });
  }

  test('unknown charge id: the lookup finds a charge of the right reference and amount, not the one recorded', async () => {
    const orderId = await approvedOrder(app, { amount: ORDER });
    const ours = charge({ status: 'pending', reference: `pay:${orderId}:1` });
    const forged = charge({ reference: `pay:${orderId}:1` });
    partner.posts.push({ answer: ours }); // then every answer is lost
    partner.charges.push(ours, forged);
    const opId = await payUntilHeld(orderId);
    await assertHeld(app, { orderId, opId, fields: ['chargeId'], chargeId: forged.id as string });
    assert.equal((await operation(opId)).result.chargeId, ours.id, 'the recorded charge id stays');
  });

  for (const tenant of ['the same tenant', 'another tenant'] as const) {
    test(`reference of another order (${tenant}): held as a reference mismatch; that order untouched`, async () => {
      const orderId = await approvedOrder(app, { amount: ORDER });
      const b = await approvedOrder(app, {
        amount: ORDER,
        apiKey: tenant === 'another tenant' ? other.apiKey : undefined,
      });
      const before = await stateOf(app, [b]);
      partner.lookupAnswer = () => ({ data: [charge({ reference: `pay:${b}:1` })] }); // whatever we ask for
      const opId = await payUntilHeld(orderId);
      await assertHeld(app, { orderId, opId, fields: ['reference'] });
      assert.deepEqual(await stateOf(app, [b]), before, 'the order the charge names is untouched');
    });
  }

  test('a replay of the dead letter cannot pay while the charge still differs; once it matches, it pays', async () => {
    const orderId = await approvedOrder(app, { amount: ORDER });
    partner.charges.push(charge({ reference: `pay:${orderId}:1`, amount: 1 }));
    const opId = await payUntilHeld(orderId);
    const first = await assertHeld(app, { orderId, opId, fields: ['amount'] });
    const replay = (id: string) =>
      app.inject({ method: 'POST', url: `/v1/dead-letters/${id}/replay`, idempotencyKey: randomUUID() });
    assert.equal((await replay(first.id)).statusCode, 200);
    const second = await eventually(async () =>
      (await mismatchLetters(app, opId)).find((d) => d.id !== first.id),
    );
    await assertHeld(app, { orderId, opId, fields: ['amount'] });
    assert.equal(await mismatchesCounted(app, 'amount'), 2, 'each new detection counted once');

    partner.charges.splice(0, 1, charge({ reference: `pay:${orderId}:1` })); // the partner's record now matches
    assert.equal((await replay(second.id)).statusCode, 200);
    await eventually(async () => (await operation(opId)).status === 'succeeded');
    assert.equal((await app.inject({ method: 'GET', url: `/v1/orders/${orderId}` })).json().status, 'paid');
    assert.equal(await paymentEvents(app), 1);
  });

  test('discarding the dead letter gives up on the payment: operation failed, order back to approved; paying again is n + 1', async () => {
    const orderId = await approvedOrder(app, { amount: ORDER });
    const bogus = charge({ reference: `pay:${orderId}:1`, amount: 1 });
    partner.charges.push(bogus);
    const opId = await payUntilHeld(orderId);
    const letter = await assertHeld(app, { orderId, opId, fields: ['amount'] });
    const discarded = await app.inject({
      method: 'POST',
      url: `/v1/dead-letters/${letter.id}/discard`,
      payload: { reason: 'bogus charge refunded at the partner' },
    });
    assert.equal(discarded.statusCode, 200, discarded.body);
    const op = await operation(opId);
    assert.equal(op.status, 'failed');
    assert.equal(op.error.type, '/problems/payment-mismatch');
    assert.match(op.error.detail, /bogus charge refunded at the partner/);
    const order = (await app.inject({ method: 'GET', url: `/v1/orders/${orderId}` })).json();
    assert.equal(order.status, 'approved');
    assert.deepEqual(order.lastPaymentError, {
      type: '/problems/payment-mismatch',
      code: 'payment_mismatch',
      chargeId: bogus.id,
    });
    assert.equal(await paymentEvents(app), 1, 'one order.payment_failed');

    partner.defaultPost = { answer: charge({ reference: `pay:${orderId}:2` }) };
    const again = await openPayment(app, orderId);
    await eventually(async () => (await operation(again)).status === 'succeeded');
    assert.equal((await app.inject({ method: 'GET', url: `/v1/orders/${orderId}` })).json().status, 'paid');
  });

  test('a malformed partner answer is a dependency failure, never a success', async () => {
    const orderId = await approvedOrder(app, { amount: ORDER });
    partner.defaultPost = { answer: { id: 'ch_m', status: 'succeeded' } }; // no amount, currency, reference
    partner.lookupAnswer = (reference) => ({ data: [charge({ reference, amount: '84193' })] });
    const opId = await openPayment(app, orderId);
    await worker.start();
    const dead = await eventually(async () => {
      const list = (await app.inject({ method: 'GET', url: '/v1/dead-letters?task=take-payment' })).json();
      return list.data.find((d: { payload: { operationId: string } }) => d.payload.operationId === opId);
    });
    assert.equal(dead.errorCategory, 'exhausted');
    const op = await operation(opId);
    assert.equal(op.status, 'running');
    assert.equal(op.lastError.dependency, 'payments');
    assert.match(op.lastError.detail, /malformed charge: amount is not a non-negative integer/);
    assert.equal(
      (await app.inject({ method: 'GET', url: `/v1/orders/${orderId}` })).json().status,
      'payment_pending',
    );
    assert.equal(await paymentEvents(app), 0);
  });

  test('the right charge still pays', async () => {
    const orderId = await approvedOrder(app, { amount: ORDER });
    partner.defaultPost = { answer: charge({ reference: `pay:${orderId}:1` }) };
    const opId = await openPayment(app, orderId);
    await worker.start();
    await eventually(async () => (await operation(opId)).status === 'succeeded');
    assert.equal(await paymentEvents(app), 1);
  });
});

describe('payment integrity: the reconciliation sweep', () => {
  test('a 1-cent USD charge found by the sweep is held — once, however often it is found; other payments untouched', async () => {
    const orderId = await approvedOrder(app, { amount: ORDER });
    const opId = await openPayment(app, orderId);
    const b = await approvedOrder(app, { amount: 5000, apiKey: other.apiKey });
    await openPayment(app, b, other.apiKey);
    await app.db.pool.query('DELETE FROM graphile_worker._private_jobs'); // only the sweep acts
    const before = await stateOf(app, [b]);
    partner.charges.push(charge({ reference: `pay:${orderId}:1`, amount: 1, currency: 'USD' }));
    assert.deepEqual(await worker.sweep(), { checked: 2, corrected: 0, abandoned: 0, mismatched: 1 });
    await assertHeld(app, { orderId, opId, fields: ['amount', 'currency'] });
    assert.deepEqual(await worker.sweep(), { checked: 2, corrected: 0, abandoned: 0, mismatched: 1 });
    await assertHeld(app, { orderId, opId, fields: ['amount', 'currency'] }); // still one dead letter
    assert.equal(await mismatchesCounted(app, 'amount'), 1);
    assert.deepEqual(await stateOf(app, [b]), before, 'the other tenant’s payment untouched');
  });
});
