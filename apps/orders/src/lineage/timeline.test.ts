/**
 * The lineage timeline end to end, in process: API + worker + sandbox partners.
 * Create and pay an order, deliver a webhook; the timeline by request id, by
 * idempotency key, by order id and by operation id each shows the request,
 * the operation, the charge attempt with its outbound key, the webhook
 * decision and the notification.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { eventually } from '@steadfast/toolkit/testing';
import { buildTestApp, createTestWorker, signedWebhookHeaders, type TestApp } from '../testing.ts';
import { buildTimeline, type Timeline } from './timeline.ts';

const SECRET = `whsec_${Buffer.from('timeline-secret-of-thirty-two-by').toString('base64')}`;

let sandbox: RunningSandbox;
let app: TestApp;
let worker: ReturnType<typeof createTestWorker>;
const story = { orderId: '', opId: '', payRequestId: '', payKey: `pay-${randomUUID()}`, webhookId: '' };

before(async () => {
  sandbox = await startSandbox({ chargeProcessingMs: 0 });
  app = await buildTestApp({
    partners: { urls: sandbox.urls, tuning: { pricing: { freshMs: 0 } } },
    webhooks: { secrets: [SECRET] },
  });
  worker = createTestWorker(app);
  await worker.start();

  const created = await app.inject({
    method: 'POST',
    url: '/v1/orders',
    payload: { currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1 }], customerEmail: 'buyer@example.com' },
  });
  assert.equal(created.statusCode, 201, created.body);
  story.orderId = created.json().id;
  for (const action of ['submit', 'approve'])
    assert.equal(
      (await app.inject({ method: 'POST', url: `/v1/orders/${story.orderId}/${action}` })).statusCode,
      200,
    );
  const paid = await app.inject({
    method: 'POST',
    url: `/v1/orders/${story.orderId}/pay`,
    idempotencyKey: story.payKey,
  });
  assert.equal(paid.statusCode, 202, paid.body);
  story.opId = paid.json().id;
  story.payRequestId = String(paid.headers['x-request-id']);
  const op = (
    await app.inject({ method: 'GET', url: `/v1/operations/${story.opId}`, headers: { prefer: 'wait=10' } })
  ).json();
  assert.equal(op.status, 'succeeded', JSON.stringify(op));

  // the partner's webhook about that charge: verified with the partner, then applied (already paid: nothing to do)
  story.webhookId = `msg_${randomUUID()}`;
  const at = new Date();
  const payload = JSON.stringify({
    id: `evt_${randomUUID()}`,
    type: 'charge.succeeded',
    createdAt: at.toISOString(),
    data: { charge: { id: op.result.chargeId, status: 'succeeded', reference: `pay:${story.orderId}:1` } },
  });
  const delivered = await app.inject({
    method: 'POST',
    url: '/webhooks/payments',
    apiKey: null,
    headers: {
      'content-type': 'application/json',
      ...signedWebhookHeaders(SECRET, payload, { id: story.webhookId, at }),
    },
    payload,
  });
  assert.equal(delivered.statusCode, 200);
  await eventually(async () => {
    const inbox = await app.db.pool.query(`SELECT status FROM webhook_inbox WHERE webhook_id = $1`, [
      story.webhookId,
    ]);
    const outbox = await app.db.pool.query(
      `SELECT count(*)::int AS n FROM outbox WHERE payload->>'orderId' = $1 AND status = 'delivered' AND type = 'order.paid'`,
      [story.orderId],
    );
    return inbox.rows[0]?.status === 'processed' && outbox.rows[0].n === 1;
  });
  await app.built.lineage?.flush();
});
after(async () => {
  await worker?.stop();
  await app?.close();
  await sandbox?.close();
});

function assertWholeStory(timeline: Timeline) {
  const types = (type: string) => timeline.events.filter((e) => e.type === type);
  const pay = types('request').find((e) => e.detail.route === '/v1/orders/{id}/pay');
  assert.ok(pay, 'the pay request');
  assert.equal(pay.detail.requestId, story.payRequestId);
  assert.equal(pay.detail.status, 202);
  assert.equal(pay.detail.idempotencyOutcome, 'executed');
  assert.equal(pay.detail.tenantId, app.tenant.tenantId);
  assert.ok(
    types('operation').some((e) => e.detail.id === story.opId && e.detail.status === 'succeeded'),
    'the operation',
  );
  const charge = types('attempt').find(
    (e) => e.detail.dependency === 'payments' && e.detail.method === 'POST',
  );
  assert.ok(charge, 'the charge attempt');
  assert.equal(charge.detail.idempotencyKey, `pay:${story.orderId}:1`);
  assert.equal(charge.detail.kind, 'success');
  // found by its outbound key: the worker's charge carries no request id (take-payment passes none)
  const webhook = types('webhook');
  assert.equal(webhook.length, 1, 'the webhook');
  assert.equal(webhook[0].detail.status, 'processed');
  assert.ok(webhook[0].detail.reason, 'what verify-then-act decided');
  const notification = types('notification').find((e) => e.detail.type === 'order.paid');
  assert.ok(notification, 'the notification');
  assert.equal(notification.detail.status, 'delivered');
  assert.ok(
    types('attempt').some(
      (e) => e.detail.dependency === 'messaging' && e.detail.idempotencyKey === notification.detail.key,
    ),
    'its delivery attempt',
  );
  const times = timeline.events.map((e) => e.at);
  assert.deepEqual(times, [...times].sort(), 'in time order');
  assert.equal(timeline.truncated, false);
}

describe('lineage timeline', () => {
  test('by request id', async () => {
    const timeline = await buildTimeline(app.db.pool, { query: story.payRequestId, now: new Date() });
    assert.ok(timeline.matched.some((m) => m.kind === 'request' && m.id === story.payRequestId));
    assertWholeStory(timeline);
  });

  test('by idempotency key', async () => {
    const timeline = await buildTimeline(app.db.pool, { query: story.payKey, now: new Date() });
    assert.deepEqual(timeline.matched, [{ kind: 'idempotency-key', id: story.payKey }]);
    assertWholeStory(timeline);
  });

  test('by order id: the create, submit and approve requests too', async () => {
    const timeline = await buildTimeline(app.db.pool, { query: story.orderId, now: new Date() });
    assert.deepEqual(timeline.matched, [{ kind: 'order', id: story.orderId }]);
    assertWholeStory(timeline);
    const routes = timeline.events.filter((e) => e.type === 'request').map((e) => e.detail.route);
    for (const route of ['/v1/orders', '/v1/orders/{id}/submit', '/v1/orders/{id}/approve'])
      assert.ok(routes.includes(route), route);
    assert.ok(
      timeline.events.some((e) => e.type === 'attempt' && e.detail.dependency === 'pricing'),
      "the create's price lookup",
    );
  });

  test('by operation id', async () => {
    const timeline = await buildTimeline(app.db.pool, { query: story.opId, now: new Date() });
    assert.ok(timeline.matched.some((m) => m.kind === 'operation' && m.id === story.opId));
    assertWholeStory(timeline);
  });

  test('a request whose own row is missing (dropped under load) is found by the attempts it made', async () => {
    await app.db.pool.query(
      `INSERT INTO lineage_attempts (at, request_id, dependency, method, route, status, duration_ms, attempt, kind, outcome)
       VALUES (now(), 'req_orphan0000000001', 'pricing', 'POST', '/prices:batch', 503, 4, 1, '5xx', 'transient')`,
    );
    const timeline = await buildTimeline(app.db.pool, { query: 'req_orphan0000000001', now: new Date() });
    assert.deepEqual(timeline.matched, [{ kind: 'request', id: 'req_orphan0000000001' }]);
    assert.deepEqual(
      timeline.events.map((e) => e.type),
      ['attempt'],
    );
  });

  test('an unknown query matches nothing', async () => {
    for (const query of ['req_nope', 'ord_00000000000000000000000000', 'op_00000000000000000000000000', '  '])
      assert.deepEqual(await buildTimeline(app.db.pool, { query, now: new Date() }), {
        query: query.trim(),
        matched: [],
        events: [],
        truncated: false,
      });
  });
});
