/**
 * OpenTelemetry traces across every boundary, with an in-memory exporter: one
 * pay request is one trace (the request span, the job run that the database
 * carried it to, every partner attempt, the notification's delivery); a
 * webhook's processing span continues the intake request's trace; the
 * request's log line carries the trace id.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { startTracing, type Tracing } from '@steadfast/toolkit/observability';
import { eventually } from '@steadfast/toolkit/testing';
import { buildTestApp, createTestWorker, signedWebhookHeaders, type TestApp } from './testing.ts';

const SECRET = `whsec_${Buffer.from('a-tracing-test-secret-of-32-bytes').toString('base64')}`;
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let sandbox: RunningSandbox;
let app: TestApp;
let worker: ReturnType<typeof createTestWorker>;

before(async () => {
  tracing = await startTracing({ serviceName: 'orders-test', exporter, simple: true });
  sandbox = await startSandbox({ chargeProcessingMs: 0 });
});
after(async () => {
  await sandbox.close();
  await tracing.shutdown();
});
beforeEach(async () => {
  exporter.reset();
  await sandbox.reset();
  app = await buildTestApp({
    partners: { urls: sandbox.urls, tuning: { pricing: { freshMs: 0 } } },
    webhooks: { secrets: [SECRET] },
    tracer: tracing.tracer,
  });
  worker = createTestWorker(app, { tracer: tracing.tracer, jobMaxAttempts: 8, jobMaxDelayMs: 50 });
  await worker.start();
});
afterEach(async () => {
  await worker.stop();
  await app.close();
});

const spans = () => exporter.getFinishedSpans();
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const inTrace = (traceId: string) => spans().filter((s) => s.spanContext().traceId === traceId);

async function approvedOrder(): Promise<string> {
  const sku = `TRACE-${randomUUID().slice(0, 8).toUpperCase()}`;
  await fetch(`${sandbox.base}/pricing/v1/prices/${sku}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ unitAmount: 1200, currency: 'EUR' }),
  });
  const order = (
    await app.inject({
      method: 'POST',
      url: '/v1/orders',
      payload: { currency: 'EUR', items: [{ sku, quantity: 1 }], customerEmail: 'buyer@example.com' },
    })
  ).json();
  await app.inject({ method: 'POST', url: `/v1/orders/${order.id}/submit` });
  await app.inject({ method: 'POST', url: `/v1/orders/${order.id}/approve` });
  return order.id;
}

test('one pay request is one trace: request span → job run → partner attempts (after a lost answer, attempt 2 finds the charge) → notification delivery', async () => {
  await sandbox.chaos('payments', {
    rules: [{ match: { method: 'POST', path: '/payments/v1/charges' }, fault: 'lost-response', count: 1 }],
  });
  const orderId = await approvedOrder();
  exporter.reset();
  const clientTraceId = randomUUID().replaceAll('-', '');
  const paid = await app.inject({
    method: 'POST',
    url: `/v1/orders/${orderId}/pay`,
    headers: { traceparent: `00-${clientTraceId}-00f067aa0ba902b7-01` },
  });
  assert.equal(paid.statusCode, 202);
  const operationId = paid.json().id;

  const request = await eventually(() => spans().find((s) => s.name === 'POST /v1/orders/:id/pay'), {
    message: 'the request span',
  });
  assert.equal(request.spanContext().traceId, clientTraceId, "the client's trace continues");
  assert.equal(parentOf(request), '00f067aa0ba902b7');
  assert.equal(request.attributes['http.route'], '/v1/orders/:id/pay');
  assert.equal(request.attributes['http.response.status_code'], 202);

  const { all, job } = await eventually(
    () => {
      const all = inTrace(clientTraceId);
      const job = all.find((s) => s.name === 'job take-payment');
      // the notification delivery joins the trace too
      return job && all.some((s) => s.name === 'outbox deliver order.paid') && { all, job };
    },
    { timeoutMs: 15_000, message: 'the job run and the delivery joined the trace' },
  );
  assert.equal(parentOf(job), request.spanContext().spanId, 'the job run is a child of the request span');
  assert.equal(job.attributes['steadfast.job.task'], 'take-payment');

  // attempt 1 charged but its answer was lost; attempt 2 first asks for the charge by reference and finds it
  const attempts = all
    .filter((s) => s.attributes['steadfast.dependency'] === 'payments')
    .sort((a, b) => Number(a.attributes['steadfast.attempt']) - Number(b.attributes['steadfast.attempt']));
  assert.deepEqual(
    attempts.map((s) => [s.name, s.attributes['steadfast.attempt'], s.attributes['steadfast.outcome']]),
    [
      ['POST /v1/charges', 1, 'transient'],
      ['GET /v1/charges', 2, 'success'],
    ],
  );
  for (const s of attempts)
    assert.equal(parentOf(s), job.spanContext().spanId, 'partner attempts are children of the job run');
  assert.equal(attempts[1].attributes['http.request.resend_count'], 1);
  assert.equal(attempts[1].attributes['http.response.status_code'], 200);
  assert.equal(attempts[0].status.code, 2, 'the lost answer marks its span failed');

  // what crossed the database
  const op = await app.db.pool.query('SELECT traceparent, request_id FROM operations WHERE id = $1', [
    operationId,
  ]);
  assert.equal(op.rows[0].traceparent, `00-${clientTraceId}-${request.spanContext().spanId}-01`);
  assert.equal(op.rows[0].request_id, paid.headers['x-request-id']);
  const outbox = await app.db.pool.query(
    `SELECT traceparent FROM outbox WHERE payload->>'orderId' = $1 AND type = 'order.paid'`,
    [orderId],
  );
  assert.equal(outbox.rows.length, 1);
  for (const row of outbox.rows) assert.match(row.traceparent, new RegExp(`^00-${clientTraceId}-`));

  // the request's log line carries the trace
  const line = app.logs
    .lines()
    .find((l) => l.msg === 'request completed' && l.route === '/v1/orders/:id/pay');
  assert.equal(line?.trace_id, clientTraceId);
  assert.equal(line?.span_id, request.spanContext().spanId);
});

test('an error answer names its problem type on the request span', async () => {
  const missing = await app.inject({ method: 'POST', url: `/v1/orders/ord_${'0'.repeat(26)}/pay` });
  assert.equal(missing.statusCode, 404);
  const span = await eventually(() => spans().find((s) => s.name === 'POST /v1/orders/:id/pay'));
  assert.equal(span.attributes['http.response.status_code'], 404);
  assert.equal(span.attributes['steadfast.problem.type'], missing.json().type);
  assert.ok(!span.parentSpanContext, 'no incoming traceparent: a new trace');
});

test("a webhook's processing span continues the intake request's trace", async () => {
  const payload = JSON.stringify({
    id: `evt_${randomUUID()}`,
    type: 'charge.succeeded',
    createdAt: new Date().toISOString(),
    data: { charge: { id: 'ch_unknown', status: 'succeeded' } },
  });
  const delivered = await app.inject({
    method: 'POST',
    url: '/webhooks/payments',
    apiKey: null,
    headers: { 'content-type': 'application/json', ...signedWebhookHeaders(SECRET, payload) },
    payload,
  });
  assert.equal(delivered.statusCode, 200);
  const { intake, processing } = await eventually(
    () => {
      const intake = spans().find((s) => s.name === 'POST /webhooks/payments');
      const processing = spans().find((s) => s.name === 'webhook process payments');
      return intake && processing && { intake, processing };
    },
    { timeoutMs: 10_000, message: 'the intake and processing spans' },
  );
  assert.equal(processing.spanContext().traceId, intake.spanContext().traceId);
  assert.equal(parentOf(processing), intake.spanContext().spanId);
  assert.ok(['processed', 'ignored'].includes(String(processing.attributes['steadfast.webhook.outcome'])));
  const lookups = inTrace(intake.spanContext().traceId).filter((s) => s.name === 'GET /v1/charges/{id}');
  for (const s of lookups) assert.equal(parentOf(s), processing.spanContext().spanId);
});
