import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { createLogger } from '@steadfast/toolkit/observability';
import { createDependencyClient, createEgressMetrics } from '@steadfast/toolkit/resilience';
import { Registry } from 'prom-client';
import { startFakePaymentsPartner } from '../testing-fixtures/fake-payments-partner.ts';
import { createPaymentsAdapter, PaymentRejectedError } from './payments.ts';

let sandbox: RunningSandbox;
let sb: string;
let adapter: ReturnType<typeof createPaymentsAdapter>;
let client: ReturnType<typeof createDependencyClient>;
let orders = 0;

before(async () => {
  sandbox = await startSandbox({ chargeProcessingMs: 0 });
  sb = sandbox.base;
});
after(() => sandbox.close());
beforeEach(async () => {
  await fetch(`${sb}/_reset`, { method: 'POST' });
  await client?.close();
  client = createDependencyClient({
    name: 'payments',
    criticality: 'critical',
    baseUrl: `${sb}/payments`,
    attemptTimeoutMs: 200,
    maxAttempts: 1,
    log: createLogger({ level: 'silent' }),
    metrics: createEgressMetrics(new Registry()),
  });
  adapter = createPaymentsAdapter({ client, clock: { now: () => Date.now() }, pauseMs: 5 });
});

async function chaos(config: object) {
  await fetch(`${sb}/payments/_chaos`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
  });
}
const ledger = async () =>
  ((await (await fetch(`${sb}/payments/ledger`)).json()) as { data: { reference: string }[] }).data;
const charge = (amount = 1000) =>
  adapter.charge({ orderId: `ord_${++orders}`, n: 1, amount, currency: 'EUR' });
const onCharges = { method: 'POST', path: '/payments/v1/charges' };

describe('payments adapter', () => {
  test('happy path: one charge with the business key as reference', async () => {
    const outcome = await charge();
    assert.equal(outcome.status, 'succeeded');
    const entries = await ledger();
    assert.equal(entries.length, 1);
    assert.equal(entries[0].reference, `pay:ord_${orders}:1`);
  });

  test('a decline is an answer, not an error', async () => {
    const outcome = await charge(1002);
    assert.deepEqual(
      { status: outcome.status, failureCode: outcome.failureCode },
      { status: 'failed', failureCode: 'card_declined' },
    );
  });

  test('lost response: the charge happened, the retry finds it — exactly one ledger entry', async () => {
    await chaos({ rules: [{ match: onCharges, fault: 'lost-response', count: 1 }] });
    const outcome = await charge();
    assert.equal(outcome.status, 'succeeded');
    assert.equal((await ledger()).length, 1);
  });

  test('a hanging partner: timeout, then a lookup by reference, then one charge', async () => {
    await chaos({ rules: [{ match: onCharges, fault: 'hang', count: 1 }] });
    const outcome = await charge();
    assert.equal(outcome.status, 'succeeded');
    assert.equal((await ledger()).length, 1);
  });

  test('503s then success: retried with the same key, one charge', async () => {
    await chaos({ rules: [{ match: onCharges, fault: 'error', status: 503, count: 2 }] });
    assert.equal((await charge()).status, 'succeeded');
    assert.equal((await ledger()).length, 1);
  });

  test('still failing after three tries: it throws (the outcome stays unknown), and never charged twice', async () => {
    // every answer is lost, lookups included
    await chaos({ rules: [{ match: { path: '/payments/v1/charges*' }, fault: 'lost-response' }] });
    await assert.rejects(charge());
    assert.equal(
      (await ledger()).length,
      1,
      'lost responses charged once; the key and lookups prevented more',
    );
  });

  test('a 4xx from the partner is a rejection carrying its status and code, not retried', async () => {
    const body = { error: { type: 'invalid_request_error', code: 'parameter_invalid', message: 'no' } };
    await chaos({ rules: [{ match: onCharges, fault: 'error', status: 400, count: 5, body }] });
    await assert.rejects(charge(), (error: unknown) => {
      assert.ok(error instanceof PaymentRejectedError);
      assert.deepEqual([error.partnerStatus, error.partnerCode], [400, 'parameter_invalid']);
      return true;
    });
    const state = (await (await fetch(`${sb}/payments/_chaos`)).json()) as { requestsSeen: number };
    assert.equal(state.requestsSeen, 1);
    assert.equal((await ledger()).length, 0);
  });

  test('401, 404 and a 409 that is not an idempotency race are rejections too', async () => {
    for (const status of [401, 404, 409]) {
      await chaos({ rules: [{ match: onCharges, fault: 'error', status }] });
      const error = await charge().then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof PaymentRejectedError, String(status));
      assert.equal(error.partnerStatus, status);
    }
  });

  test('409 request_in_progress (our own earlier request with the key) is retried with the same key', async () => {
    const body = { error: { type: 'idempotency_error', code: 'request_in_progress', message: 'busy' } };
    await chaos({ rules: [{ match: onCharges, fault: 'error', status: 409, count: 1, body }] });
    assert.equal((await charge()).status, 'succeeded');
    assert.equal((await ledger()).length, 1);
  });

  test('the charge answer carries amount, currency and reference (what settle verifies)', async () => {
    const outcome = await adapter.charge({ orderId: `ord_${++orders}`, n: 1, amount: 1234, currency: 'EUR' });
    assert.deepEqual(
      { amount: outcome.amount, currency: outcome.currency, reference: outcome.reference },
      { amount: 1234, currency: 'EUR', reference: `pay:ord_${orders}:1` },
    );
    const again = await adapter.getCharge(outcome.chargeId);
    assert.deepEqual(again, outcome);
  });
});

describe('payments adapter: malformed answers are dependency failures, never a success', () => {
  test('a charge without amount, currency or reference, or with wrong types, is MalformedResponseError; a lookup without data is not "no charge"', async () => {
    const fake = await startFakePaymentsPartner();
    const fakeClient = createDependencyClient({
      name: 'payments',
      criticality: 'critical',
      baseUrl: fake.url,
      attemptTimeoutMs: 200,
      maxAttempts: 1,
      log: createLogger({ level: 'silent' }),
      metrics: createEgressMetrics(new Registry()),
    });
    const fakeAdapter = createPaymentsAdapter({
      client: fakeClient,
      clock: { now: () => Date.now() },
      pauseMs: 1,
    });
    const good = { id: 'ch_1', status: 'succeeded', amount: 100, currency: 'EUR', reference: 'pay:ord_x:1' };
    try {
      for (const bad of [
        { ...good, amount: undefined },
        { ...good, amount: '100' },
        { ...good, amount: 1.5 },
        { ...good, currency: 'eur' },
        { ...good, currency: 'EURO' },
        { ...good, reference: undefined },
        { ...good, reference: '' },
        { ...good, status: 'paid' },
      ]) {
        fake.charges.splice(0, fake.charges.length, { ...bad, id: 'ch_bad' });
        await assert.rejects(
          fakeAdapter.getCharge('ch_bad'),
          { name: 'MalformedResponseError' },
          JSON.stringify(bad),
        );
        // a malformed charge answer is an unknown outcome: looked up by reference, which is malformed too
        fake.defaultPost = { answer: bad };
        fake.lookupAnswer = () => ({ data: [bad] });
        await assert.rejects(fakeAdapter.charge({ orderId: 'ord_x', n: 1, amount: 100, currency: 'EUR' }), {
          name: 'MalformedResponseError',
        });
      }
      fake.lookupAnswer = () => ({ charges: [] });
      await assert.rejects(fakeAdapter.lookup('ord_x', 1), /lookup without data/);
      fake.lookupAnswer = () => ({ data: [] });
      assert.equal(await fakeAdapter.lookup('ord_x', 1), undefined, 'an empty list is "no charge"');
    } finally {
      await fakeClient.close();
      await fake.close();
    }
  });
});
