/**
 * Payment integrity through the webhook path: a signed event names a charge,
 * the partner (the sandbox's GET /v1/charges/{id}) is asked, and the order is
 * found from the partner's reference. A charge that is not the one the payment
 * asked for — forged directly at the sandbox — is held, never applied.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import {
  buildTestApp,
  createTestWorker,
  signedWebhookHeaders,
  type TestApp,
  type TestTenant,
} from './testing.ts';
import {
  approvedOrder,
  assertHeld,
  mismatchesCounted,
  openPayment,
  paymentEvents,
  stateOf,
} from './testing-fixtures/payment-integrity.ts';

const SECRET = `whsec_${Buffer.from('integrity-secret-of-thirty-two-b').toString('base64')}`;

let sandbox: RunningSandbox;
let app: TestApp;
let worker: ReturnType<typeof createTestWorker>;
let other: TestTenant;

before(async () => {
  sandbox = await startSandbox({ chargeProcessingMs: 0 });
});
after(() => sandbox.close());
beforeEach(async () => {
  await sandbox.reset();
  app = await buildTestApp({
    partners: { urls: sandbox.urls, tuning: { pricing: { freshMs: 0 } } },
    webhooks: { secrets: [SECRET] },
  });
  other = await app.createTenant({ name: 'Tenant B' });
  // never started: the pay jobs stay queued, so only the webhooks below can settle anything
  worker = createTestWorker(app);
});
afterEach(async () => {
  await worker.stop();
  await app.close();
});

/** A charge created straight at the sandbox's payments API, as anyone holding the partner account could. */
async function partnerCharge(body: { amount: number; currency: string; reference: string }, key?: string) {
  const response = await fetch(`${sandbox.base}/payments/v1/charges`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });
  assert.ok(response.ok, await response.clone().text());
  return ((await response.json()) as { id: string }).id;
}

/** A signed delivery about `chargeId` (its payload may claim any reference), then one inbox pass; the event's reason. */
async function deliver(chargeId: string, claimedReference?: string): Promise<string> {
  const id = `msg_${randomUUID()}`;
  const at = new Date();
  const payload = JSON.stringify({
    id: `evt_${randomUUID()}`,
    type: 'charge.succeeded',
    createdAt: at.toISOString(),
    data: { charge: { id: chargeId, status: 'succeeded', reference: claimedReference } },
  });
  const response = await app.inject({
    method: 'POST',
    url: '/webhooks/payments',
    apiKey: null,
    headers: { 'content-type': 'application/json', ...signedWebhookHeaders(SECRET, payload, { id, at }) },
    payload,
  });
  assert.equal(response.statusCode, 200);
  await worker.inbox.runOnce();
  const { rows } = await app.db.pool.query('SELECT status, reason FROM webhook_inbox WHERE webhook_id = $1', [
    id,
  ]);
  assert.equal(rows[0].status, 'processed', rows[0].reason);
  return rows[0].reason;
}

const ORDER = 84193; // 841.93 EUR

describe('payment integrity: webhooks', () => {
  test('amount: a 1-cent charge carrying the right reference does not pay an 841.93 EUR order', async () => {
    const orderId = await approvedOrder(app, { amount: ORDER });
    const opId = await openPayment(app, orderId);
    const bystander = await approvedOrder(app, { amount: ORDER });
    await openPayment(app, bystander);
    const untouched = await stateOf(app, [bystander]);
    const forged = await partnerCharge({ amount: 1, currency: 'EUR', reference: `pay:${orderId}:1` });
    assert.match(await deliver(forged), /^payment-mismatch/);
    const letter = await assertHeld(app, { orderId, opId, fields: ['amount'], chargeId: forged });
    assert.match(letter.errorMessage, /amount expected 84193, got 1/);
    assert.equal(letter.payload.mismatchedChargeId, forged);
    assert.deepEqual(await stateOf(app, [bystander]), untouched, 'other orders untouched');

    // the same event again (and again): still held, one dead letter, counted once
    await deliver(forged);
    await assertHeld(app, { orderId, opId, fields: ['amount'] });
    assert.equal(await mismatchesCounted(app, 'amount'), 1);
  });

  test('currency: the right amount in USD does not pay a EUR order', async () => {
    const orderId = await approvedOrder(app, { amount: ORDER });
    const opId = await openPayment(app, orderId);
    const forged = await partnerCharge({ amount: ORDER, currency: 'USD', reference: `pay:${orderId}:1` });
    await deliver(forged);
    const letter = await assertHeld(app, { orderId, opId, fields: ['currency'] });
    assert.match(letter.errorMessage, /currency expected EUR, got USD/);
    assert.equal(await mismatchesCounted(app, 'amount'), 0);
  });

  test('a forged failure does not send the order back to approved', async () => {
    const orderId = await approvedOrder(app, { amount: ORDER });
    const opId = await openPayment(app, orderId);
    // amounts ending in 02 are declined by the sandbox
    const forged = await partnerCharge({ amount: 102, currency: 'EUR', reference: `pay:${orderId}:1` });
    await deliver(forged);
    await assertHeld(app, { orderId, opId, fields: ['amount'] });
  });

  test('unknown charge id: right reference and amount, but not the charge recorded for the attempt', async () => {
    const orderId = await approvedOrder(app, { amount: ORDER });
    const opId = await openPayment(app, orderId);
    await sandbox.chaos('payments', {
      settlement: { pendingProbability: 1, settleAfterMs: [60_000, 60_000] },
    });
    const body = { amount: ORDER, currency: 'EUR', reference: `pay:${orderId}:1` };
    const ours = await partnerCharge(body, `pay:${orderId}:1`); // pending at the partner
    assert.match(await deliver(ours), /still pending/);
    const recorded = (await app.inject({ method: 'GET', url: `/v1/operations/${opId}` })).json();
    assert.deepEqual(recorded.result, { chargeId: ours, chargeStatus: 'pending' });

    await sandbox.chaos('payments', {});
    const forged = await partnerCharge(body); // succeeded at once, same reference and amount, another id
    await deliver(forged);
    const letter = await assertHeld(app, { orderId, opId, fields: ['chargeId'], chargeId: forged });
    assert.match(letter.errorMessage, new RegExp(`chargeId expected ${ours}, got ${forged}`));
  });

  test('reference of another order: the event claims order A, the charge names order B at A’s amount — neither is paid', async () => {
    const a = await approvedOrder(app, { amount: ORDER });
    await openPayment(app, a);
    const b = await approvedOrder(app, { amount: 5000 });
    const bOp = await openPayment(app, b);
    const before = await stateOf(app, [a]);
    const forged = await partnerCharge({ amount: ORDER, currency: 'EUR', reference: `pay:${b}:1` });
    const reason = await deliver(forged, `pay:${a}:1`);
    assert.match(reason, new RegExp(`the event named pay:${a}:1; the partner's charge names pay:${b}:1`));
    await assertHeld(app, { orderId: b, opId: bOp, fields: ['amount'] });
    assert.deepEqual(await stateOf(app, [a]), before, 'order A untouched');
  });

  test('reference of another tenant’s order: held on that order, seen by its tenant only; the first tenant’s order untouched', async () => {
    const a = await approvedOrder(app, { amount: ORDER });
    await openPayment(app, a);
    const b = await approvedOrder(app, { amount: 5000, apiKey: other.apiKey });
    const bOp = await openPayment(app, b, other.apiKey);
    const before = await stateOf(app, [a]);
    const forged = await partnerCharge({ amount: ORDER, currency: 'EUR', reference: `pay:${b}:1` });
    await deliver(forged, `pay:${a}:1`);
    const letter = await assertHeld(app, { orderId: b, opId: bOp, fields: ['amount'], apiKey: other.apiKey });
    assert.equal(letter.tenantId, other.tenantId);
    const plain = await app.createTenant({ name: 'Tenant C' });
    const seen = (await app.inject({ method: 'GET', url: '/v1/dead-letters', apiKey: plain.apiKey })).json();
    assert.deepEqual(seen.data, [], 'a third tenant sees nothing');
    assert.deepEqual(await stateOf(app, [a]), before, 'the first tenant’s order untouched');
  });

  test('the right charge still pays', async () => {
    const orderId = await approvedOrder(app, { amount: ORDER });
    const opId = await openPayment(app, orderId);
    const ours = await partnerCharge(
      { amount: ORDER, currency: 'EUR', reference: `pay:${orderId}:1` },
      `pay:${orderId}:1`,
    );
    assert.equal(await deliver(ours), 'settled: paid');
    const op = (await app.inject({ method: 'GET', url: `/v1/operations/${opId}` })).json();
    assert.equal(op.status, 'succeeded');
    assert.equal(op.result.chargeId, ours);
    assert.equal((await app.inject({ method: 'GET', url: `/v1/orders/${orderId}` })).json().status, 'paid');
    assert.equal(await paymentEvents(app), 1);
  });
});
