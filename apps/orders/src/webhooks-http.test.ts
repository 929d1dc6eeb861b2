/** Payment webhooks: signed intake, dedupe, verify-then-act, reconciliation — against the sandbox, real Postgres. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { createFakeClock, eventually } from '@steadfast/toolkit/testing';
import { buildTestApp, createTestWorker, signedWebhookHeaders, type TestApp } from './testing.ts';

const OLD = `whsec_${Buffer.from('the-old-secret-of-thirty-two-byte').toString('base64')}`;
const NEW = `whsec_${Buffer.from('the-new-secret-of-thirty-two-byte').toString('base64')}`;
const OTHER = `whsec_${Buffer.from('somebody-elses-secret-32-bytes!!').toString('base64')}`;

let sandbox: RunningSandbox;
before(async () => {
  sandbox = await startSandbox({
    chargeProcessingMs: 0,
    webhookRetry: { firstRetryMs: 20, maxDelayMs: 100, maxAttempts: 5 },
  });
});
after(() => sandbox.close());

function signed(body: object, secret = NEW, at = new Date(), id = `msg_${randomUUID()}`) {
  const payload = JSON.stringify(body);
  return {
    payload,
    headers: { 'content-type': 'application/json', ...signedWebhookHeaders(secret, payload, { id, at }) },
  };
}
/** POST a signed delivery to the app, as the partner would. */
const postWebhook = (app: TestApp, d: ReturnType<typeof signed>) =>
  app.inject({
    method: 'POST',
    url: '/webhooks/payments',
    apiKey: null,
    headers: d.headers,
    payload: d.payload,
  });
const event = (type = 'charge.succeeded', chargeId = 'ch_x') => ({
  id: `evt_${randomUUID()}`,
  type,
  createdAt: new Date().toISOString(),
  data: { charge: { id: chargeId, status: 'succeeded' } },
});

describe('intake', () => {
  const clock = createFakeClock(Date.now());
  let app: TestApp;
  beforeEach(async () => {
    app = await buildTestApp({ clock, webhooks: { secrets: [NEW, OLD] } });
  });
  afterEach(() => app.close());
  const inbox = async () => (await app.db.pool.query('SELECT webhook_id, status FROM webhook_inbox')).rows;
  const deliver = (d: ReturnType<typeof signed>) => postWebhook(app, d);

  test('a valid delivery is stored and answered 200 with an empty body; a duplicate creates no new work', async () => {
    const d = signed(event(), NEW, new Date(clock.now()));
    const first = await deliver(d);
    assert.equal(first.statusCode, 200);
    assert.equal(first.body, '');
    assert.equal((await deliver(d)).statusCode, 200);
    assert.equal((await inbox()).length, 1);
  });

  test('rotation: both configured secrets verify', async () => {
    assert.equal((await deliver(signed(event(), OLD, new Date(clock.now())))).statusCode, 200);
    assert.equal((await deliver(signed(event(), NEW, new Date(clock.now())))).statusCode, 200);
  });

  test('forged signature, wrong secret, stale timestamp, missing headers → 401; nothing stored', async () => {
    const forged = signed(event(), NEW, new Date(clock.now()));
    forged.headers['webhook-signature'] = `v1,${Buffer.alloc(32).toString('base64')}`;
    const tampered = signed(event(), NEW, new Date(clock.now()));
    tampered.payload = tampered.payload.replace('succeeded', 'failed');
    const cases: [ReturnType<typeof signed>, string][] = [
      [forged, 'webhook-signature-invalid'],
      [tampered, 'webhook-signature-invalid'],
      [signed(event(), OTHER, new Date(clock.now())), 'webhook-signature-invalid'],
      [signed(event(), NEW, new Date(clock.now() - 6 * 60_000)), 'webhook-timestamp-out-of-tolerance'],
      [signed(event(), NEW, new Date(clock.now() + 6 * 60_000)), 'webhook-timestamp-out-of-tolerance'],
    ];
    for (const [d, type] of cases) {
      const response = await deliver(d);
      assert.equal(response.statusCode, 401);
      assert.equal(response.json().type, `/problems/${type}`);
    }
    const bare = await app.inject({
      method: 'POST',
      url: '/webhooks/payments',
      apiKey: null,
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    assert.equal(bare.statusCode, 401);
    assert.deepEqual(await inbox(), []);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics', apiKey: null })).body;
    assert.match(
      metrics,
      /steadfast_webhooks_rejected_total\{source="payments",reason="signature-invalid"\} 3/,
    );
  });

  test('a captured delivery replayed after the tolerance is refused', async () => {
    const captured = signed(event(), NEW, new Date(clock.now()));
    assert.equal((await deliver(captured)).statusCode, 200);
    clock.advance(5 * 60_000 + 1000);
    const replayed = await deliver({
      ...captured,
      headers: { ...captured.headers, 'webhook-id': captured.headers['webhook-id'] },
    });
    assert.equal(replayed.statusCode, 401);
    assert.equal((await inbox()).length, 1);
  });

  test('a valid signature over a body that is not JSON → 400, kept for inspection', async () => {
    const at = new Date(clock.now());
    const d = {
      payload: 'not json',
      headers: {
        'content-type': 'application/json',
        ...signedWebhookHeaders(NEW, 'not json', { id: 'msg_raw', at }),
      },
    };
    const response = await deliver(d);
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().type, '/problems/webhook-payload-invalid');
    assert.deepEqual(await inbox(), [{ webhook_id: 'msg_raw', status: 'failed' }]);
  });
});

describe('verify-then-act and reconciliation', () => {
  let app: TestApp;
  let worker: ReturnType<typeof createTestWorker>;
  let apiUrl: string;
  beforeEach(async () => {
    await sandbox.reset();
    app = await buildTestApp({
      partners: { urls: sandbox.urls, tuning: { pricing: { freshMs: 0 } } },
      webhooks: { secrets: [NEW] },
    });
    apiUrl = await app.server.listen({ port: 0, host: '127.0.0.1' });
    await fetch(`${sandbox.base}/payments/_webhooks`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ endpoints: [{ url: `${apiUrl}/webhooks/payments`, secret: NEW }] }),
    });
    worker = createTestWorker(app, {
      reconcile: { intervalS: 3600, pendingAgeS: 0, abandonAfterS: 3600 },
    });
  });
  afterEach(async () => {
    await worker.stop();
    await app.close();
  });

  async function approvedOrder() {
    const order = (
      await app.inject({
        method: 'POST',
        url: '/v1/orders',
        payload: { currency: 'EUR', items: [{ sku: 'WH-1', quantity: 1 }] },
      })
    ).json();
    // 1000: the amount partnerCharge charges (a charge of another amount is held as a payment-mismatch)
    await app.db.pool.query(`UPDATE orders SET status = 'approved', total_amount = 1000 WHERE id = $1`, [
      order.id,
    ]);
    return order.id as string;
  }
  /** pay without a running worker: the payment stays open until a webhook or the sweep settles it */
  async function openPayment(orderId: string) {
    return (await app.inject({ method: 'POST', url: `/v1/orders/${orderId}/pay` })).json().id as string;
  }
  async function partnerCharge(orderId: string, amount: number) {
    const response = await fetch(`${sandbox.base}/payments/v1/charges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `pay:${orderId}:1` },
      body: JSON.stringify({ amount, currency: 'EUR', reference: `pay:${orderId}:1` }),
    });
    return ((await response.json()) as { id: string }).id;
  }
  const inject = (d: ReturnType<typeof signed>) => postWebhook(app, d);
  const stateOf = async (orderId: string, opId: string) => ({
    order: (await app.inject({ method: 'GET', url: `/v1/orders/${orderId}` })).json().status,
    op: (await app.inject({ method: 'GET', url: `/v1/operations/${opId}` })).json().status,
  });
  const events = async (orderId: string) =>
    (
      await app.db.pool.query(
        `SELECT type FROM outbox WHERE payload->>'orderId' = $1 AND type LIKE 'order.pa%'`,
        [orderId],
      )
    ).rows.map((r) => r.type);

  test('the payload says succeeded, the partner says failed: the order follows the partner', async () => {
    const orderId = await approvedOrder();
    const opId = await openPayment(orderId);
    await app.db.pool.query(`UPDATE orders SET total_amount = 1002 WHERE id = $1`, [orderId]);
    const chargeId = await partnerCharge(orderId, 1002); // declined at the partner
    const lie = event('charge.succeeded', chargeId);
    assert.equal((await inject(signed(lie))).statusCode, 200);
    await worker.inbox.runOnce();
    assert.deepEqual(await stateOf(orderId, opId), { order: 'approved', op: 'failed' });
  });

  test('duplicates are processed once; a late charge.pending after charge.succeeded changes nothing', async () => {
    const orderId = await approvedOrder();
    const opId = await openPayment(orderId);
    const chargeId = await partnerCharge(orderId, 1000);
    const succeeded = signed(event('charge.succeeded', chargeId));
    await inject(succeeded);
    await inject(succeeded);
    await inject(signed(event('charge.pending', chargeId)));
    await worker.inbox.runOnce();
    await worker.inbox.runOnce();
    assert.deepEqual(await stateOf(orderId, opId), { order: 'paid', op: 'succeeded' });
    assert.deepEqual(await events(orderId), ['order.paid']);
    const { rows } = await app.db.pool.query(
      'SELECT count(*)::int AS n FROM webhook_inbox WHERE webhook_id = $1',
      [succeeded.headers['webhook-id']],
    );
    assert.equal(rows[0].n, 1, 'the duplicate delivery was not stored twice');
  });

  test('unknown charges are ignored with a reason, not retried forever', async () => {
    await inject(signed(event('charge.succeeded', 'ch_nobody')));
    await worker.inbox.runOnce();
    const [row] = (
      await app.inject({ method: 'GET', url: '/v1/webhook-events?status=ignored', apiKey: app.operatorKey })
    ).json().data;
    assert.match(row.reason, /does not know charge ch_nobody/);
    const plain = await app.createTenant();
    assert.equal(
      (await app.inject({ method: 'GET', url: '/v1/webhook-events', apiKey: plain.apiKey })).statusCode,
      403,
    );
    const replay = await app.inject({
      method: 'POST',
      url: `/v1/webhook-events/${row.id}/replay`,
      apiKey: app.operatorKey,
    });
    assert.equal(replay.json().status, 'received');
  });

  test('a webhook that never comes: the sweep settles it; a payment the partner never got is abandoned', async () => {
    await sandbox.chaos('payments', { webhooks: { dropProbability: 1 } }); // no webhook ever arrives
    const paidId = await approvedOrder();
    const paidOp = await openPayment(paidId);
    await partnerCharge(paidId, 1000); // charged at the partner; we never heard
    const lostId = await approvedOrder();
    const lostOp = await openPayment(lostId);
    // both pay jobs are lost too: only the sweep can settle these payments
    await app.db.pool.query('DELETE FROM graphile_worker._private_jobs');
    await app.db.pool.query(`UPDATE operations SET created_at = now() - interval '2 hours' WHERE id = $1`, [
      lostOp,
    ]);
    const accepted = await app.inject({
      method: 'POST',
      url: '/v1/reconciliations',
      apiKey: app.operatorKey,
    });
    assert.equal(accepted.statusCode, 202);
    await worker.start();
    const op = (
      await app.inject({
        method: 'GET',
        url: `/v1/operations/${accepted.json().id}`,
        apiKey: app.operatorKey, // the reconciliation is the operator's operation
        headers: { prefer: 'wait=10' },
      })
    ).json();
    assert.equal(op.status, 'succeeded');
    assert.equal(op.result.corrected + op.result.abandoned, 2);
    assert.deepEqual(await stateOf(paidId, paidOp), { order: 'paid', op: 'succeeded' });
    assert.deepEqual(await stateOf(lostId, lostOp), { order: 'approved', op: 'failed' });
    const failed = (await app.inject({ method: 'GET', url: `/v1/operations/${lostOp}` })).json();
    assert.equal(failed.error.type, '/problems/dependency-unavailable');
  });

  test('50 payments with duplicated, dropped and reordered webhooks: after one sweep every order matches the partner, no double transitions', async () => {
    await sandbox.chaos('payments', {
      seed: 8,
      webhooks: { duplicateProbability: 0.3, dropProbability: 0.3, reorder: true },
      settlement: { pendingProbability: 1, settleAfterMs: [10, 60], failProbability: 0.2 },
    });
    const orders: string[] = [];
    for (let i = 0; i < 50; i++) orders.push(await approvedOrder());
    await worker.start();
    for (const id of orders) await app.inject({ method: 'POST', url: `/v1/orders/${id}/pay` });
    // every delivery done or dropped
    await eventually(
      async () => {
        const log = (
          (await (await fetch(`${sandbox.base}/payments/_webhooks`)).json()) as {
            deliveries: { state: string }[];
          }
        ).deliveries;
        return log.length > 0 && log.every((d) => d.state !== 'pending');
      },
      { timeoutMs: 20_000 },
    );
    await worker.sweep();
    const ledger = (
      (await (await fetch(`${sandbox.base}/payments/ledger`)).json()) as {
        data: { reference: string; status: string }[];
      }
    ).data;
    for (const id of orders) {
      const charges = ledger.filter((c) => c.reference === `pay:${id}:1`);
      assert.equal(charges.length, 1, `one charge for ${id}`);
      const expected =
        charges[0].status === 'succeeded'
          ? 'paid'
          : charges[0].status === 'failed'
            ? 'approved'
            : 'payment_pending';
      assert.equal(
        (await app.inject({ method: 'GET', url: `/v1/orders/${id}` })).json().status,
        expected,
        id,
      );
      assert.ok((await events(id)).length <= 1, `at most one settlement event for ${id}`);
    }
  });
});
