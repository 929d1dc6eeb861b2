/**
 * What the outbox tells an operator, on real Postgres: each delivery is a
 * CONSUMER span continuing the trace of the span that wrote the event, and the
 * backlog gauges read the pending count and the oldest pending event's age.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { Registry } from 'prom-client';
import { createBackgroundErrors, createLogger, inSpan, SpanKind } from '../observability/index.ts';
import { migrate } from '../postgres/index.ts';
import { createTestDatabase, metricValues, type TestDatabase } from '../testing/index.ts';
import { createTracingHarness } from '../testing/tracing-harness.ts';
import { createOutboxMetrics } from './metrics.ts';
import { outboxMigrations } from './migrations.ts';
import { createOutboxDispatcher, type OutboxEvent, writeOutboxEvent } from './outbox.ts';

const { exporter, tracer } = createTracingHarness('outbox-test');
const log = createLogger({ level: 'silent' });
let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...outboxMigrations]);
});
after(async () => {
  await db?.close();
});
afterEach(async () => {
  await db.pool.query('TRUNCATE outbox');
});

test('a delivery is a CONSUMER span, a child of the span that wrote the event, with its id, type and attempt', async () => {
  // written inside a span: the event keeps that span's traceparent by default
  const writer = await inSpan(tracer(), 'order create', {}, async (span) => {
    await writeOutboxEvent(db.pool, { id: 'ev_1', tenantId: 't1', type: 'order.created', payload: { n: 1 } });
    return span?.spanContext();
  });
  await writeOutboxEvent(db.pool, {
    id: 'ev_2',
    tenantId: 't1',
    type: 'order.paid',
    payload: {},
    traceparent: null,
  });
  const delivered: OutboxEvent[] = [];
  const dispatcher = createOutboxDispatcher({
    db: db.pool,
    log,
    errors: createBackgroundErrors({ log }),
    tracer: tracer(),
    deliver: async (event) => void delivered.push(event),
  });
  await dispatcher.runOnce();
  assert.deepEqual(delivered.map((e) => [e.id, e.tenantId, e.type, e.attempts]).sort(), [
    ['ev_1', 't1', 'order.created', 1],
    ['ev_2', 't1', 'order.paid', 1],
  ]);
  assert.deepEqual(delivered.find((e) => e.id === 'ev_1')?.payload, { n: 1 });
  assert.equal(delivered.find((e) => e.id === 'ev_2')?.traceparent, null);
  const spans = exporter.getFinishedSpans().filter((s) => s.name.startsWith('outbox deliver'));
  const first = spans.find((s) => s.attributes['steadfast.outbox.event_id'] === 'ev_1');
  assert.ok(first && writer);
  assert.equal(first.name, 'outbox deliver order.created');
  assert.equal(first.kind, SpanKind.CONSUMER);
  assert.equal(first.spanContext().traceId, writer.traceId);
  assert.equal(first.parentSpanContext?.spanId, writer.spanId);
  assert.deepEqual(first.attributes, {
    'steadfast.outbox.event_id': 'ev_1',
    'steadfast.outbox.type': 'order.created',
    'steadfast.outbox.attempt': 1,
  });
  const second = spans.find((s) => s.attributes['steadfast.outbox.event_id'] === 'ev_2');
  assert.ok(second);
  assert.notEqual(second.spanContext().traceId, writer.traceId, 'no traceparent: a trace of its own');
  const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM outbox WHERE status = 'delivered'`);
  assert.equal(rows[0].n, 2);
});

test('an explicit traceparent wins over the active span; null stores none', async () => {
  const stored = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  await inSpan(tracer(), 'order update', {}, async () => {
    await writeOutboxEvent(db.pool, {
      id: 'ev_x',
      tenantId: 't1',
      type: 'x',
      payload: {},
      traceparent: stored,
    });
    await writeOutboxEvent(db.pool, {
      id: 'ev_n',
      tenantId: 't1',
      type: 'x',
      payload: {},
      traceparent: null,
    });
  });
  const { rows } = await db.pool.query('SELECT id, traceparent FROM outbox ORDER BY id');
  assert.deepEqual(rows, [
    { id: 'ev_n', traceparent: null },
    { id: 'ev_x', traceparent: stored },
  ]);
});

test('the backlog gauges: pending events and the oldest pending age, 0 when none waits', async () => {
  const registry = new Registry();
  createOutboxMetrics({ registry, db: db.pool, errors: createBackgroundErrors({ log }) });
  const read = async (name: string) => (await metricValues(registry, name)).map((s) => s.value);
  assert.deepEqual(await read('steadfast_outbox_pending'), [0]);
  assert.deepEqual(await read('steadfast_outbox_oldest_pending_age_seconds'), [0]);
  for (const [id, status, ageS] of [
    ['a', 'pending', 90],
    ['b', 'pending', 10],
    ['c', 'dead', 500],
    ['d', 'delivered', 900],
  ] as const)
    await db.pool.query(
      `INSERT INTO outbox (id, tenant_id, type, payload, status, created_at)
       VALUES ($1, 't1', 'x', '{}', $2, now() - make_interval(secs => $3))`,
      [id, status, ageS],
    );
  assert.deepEqual(await read('steadfast_outbox_pending'), [2]);
  const [age] = await read('steadfast_outbox_oldest_pending_age_seconds');
  assert.ok(age >= 90 && age < 500, `oldest pending age ${age}: the oldest pending, not the dead one`);
});
