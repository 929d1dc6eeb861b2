/**
 * SIGKILL at every named fault point of the pay path, with the API + worker
 * as a real child process and the payments partner (with its ledger) in this
 * test: after a restart, exactly one charge and a terminal operation.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { killAllChildren, makeHome, type RunningCli, startCli } from './runtime/spawn-cli.ts';

let sandbox: RunningSandbox;
const homes: string[] = [];
before(async () => {
  sandbox = await startSandbox({ chargeProcessingMs: 0 });
});
after(async () => {
  killAllChildren();
  await sandbox.close();
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
});

function envFor(home: string, extra: Record<string, string> = {}) {
  return {
    STEADFAST_HOME: home,
    PORT: '0',
    SANDBOX_PORT: '0',
    PRICING_URL: sandbox.urls.pricingUrl,
    PAYMENTS_URL: sandbox.urls.paymentsUrl,
    MESSAGING_URL: sandbox.urls.messagingUrl,
    ANALYTICS_URL: sandbox.urls.analyticsUrl,
    RECOMMENDATIONS_URL: sandbox.urls.recommendationsUrl,
    WORKER_DEAD_AFTER_S: '5',
    IDEMPOTENCY_LEASE_S: '1',
    JOB_MAX_DELAY_MS: '200',
    ...extra,
  };
}

async function call(
  cli: RunningCli,
  method: string,
  path: string,
  key?: string,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${cli.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${cli.apiKey}`,
      ...(key ? { 'idempotency-key': key } : {}),
      ...(method === 'POST' && path === '/v1/orders' ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body:
      method === 'POST' && path === '/v1/orders'
        ? JSON.stringify({ currency: 'EUR', items: [{ sku: 'CRASH-PAY', quantity: 1 }] })
        : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** An approved order, prepared by a healthy process that is then stopped. */
async function approvedOrder(home: string): Promise<string> {
  const cli = await startCli(envFor(home));
  const order = await call(cli, 'POST', '/v1/orders', randomUUID());
  await call(cli, 'POST', `/v1/orders/${order.body.id}/submit`, randomUUID());
  await call(cli, 'POST', `/v1/orders/${order.body.id}/approve`, randomUUID());
  assert.equal(await cli.stop(), 0);
  return order.body.id as string;
}

const chargesFor = async (orderId: string) =>
  (
    (await (await fetch(`${sandbox.base}/payments/ledger`)).json()) as { data: { reference: string }[] }
  ).data.filter((c) => c.reference.startsWith(`pay:${orderId}:`));

async function finalOperation(cli: RunningCli, orderId: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const list = await call(cli, 'GET', '/v1/operations?kind=payment');
    const op = (list.body.data as { id: string; resource: string; status: string }[]).find(
      (o) => o.resource === `/v1/orders/${orderId}`,
    );
    if (op && ['succeeded', 'failed'].includes(op.status)) return op;
    if (Date.now() > deadline)
      throw new Error(`operation not terminal: ${JSON.stringify(op)}\n${cli.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('SIGKILL at each fault point of the pay path', () => {
  for (const point of ['after-charge-before-commit', 'after-commit-before-ack'] as const) {
    test(`${point}: the job runs again after the dead worker is noticed; one charge`, async () => {
      const home = makeHome();
      homes.push(home);
      const orderId = await approvedOrder(home);
      const doomed = await startCli(envFor(home, { STEADFAST_FAULTS: point }));
      const accepted = await call(doomed, 'POST', `/v1/orders/${orderId}/pay`, randomUUID());
      assert.equal(accepted.status, 202);
      const signal = await new Promise((r) => doomed.child.once('exit', (_c, s) => r(s)));
      assert.equal(signal, 'SIGKILL', 'the worker died at the fault point');
      const killedAt = Date.now();
      const revived = await startCli(envFor(home, { LOG_LEVEL: process.env.CRASH_LOG ?? 'warn' }));
      const op = await finalOperation(revived, orderId);
      assert.equal(op.status, 'succeeded');
      assert.ok(Date.now() - killedAt < 5_000 + 15_000, 'released within WORKER_DEAD_AFTER_S plus a little');
      assert.equal((await chargesFor(orderId)).length, 1, 'exactly one charge');
      assert.equal((await call(revived, 'GET', `/v1/orders/${orderId}`)).body.status, 'paid');
      assert.equal(await revived.stop(), 0);
    });
  }

  test('after-claim-before-commit on the pay request: nothing committed; the retry takes the key over; one charge', async () => {
    const home = makeHome();
    homes.push(home);
    const orderId = await approvedOrder(home);
    const key = randomUUID();
    const doomed = await startCli(envFor(home, { STEADFAST_FAULTS: 'after-claim-before-commit' }));
    await assert.rejects(call(doomed, 'POST', `/v1/orders/${orderId}/pay`, key));
    await new Promise((r) => doomed.child.once('exit', r));
    const revived = await startCli(envFor(home));
    let answer = await call(revived, 'POST', `/v1/orders/${orderId}/pay`, key);
    const deadline = Date.now() + 10_000;
    while (answer.status === 409 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      answer = await call(revived, 'POST', `/v1/orders/${orderId}/pay`, key);
    }
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    assert.equal((await finalOperation(revived, orderId)).status, 'succeeded');
    assert.equal((await chargesFor(orderId)).length, 1);
    assert.equal(await revived.stop(), 0);
  });
});
