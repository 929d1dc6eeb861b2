import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { createLogger } from '@steadfast/toolkit/observability';
import { createDependencyClient, createEgressMetrics } from '@steadfast/toolkit/resilience';
import { Registry } from 'prom-client';
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
});
