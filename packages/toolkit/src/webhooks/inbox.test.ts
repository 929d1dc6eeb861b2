/**
 * The inbox beyond intake, on real Postgres: the processing span continues the
 * intake's trace, what the outcome and lag metrics record, a replay puts a row
 * back in the queue as new, the reaper deletes only old handled rows, and the
 * backlog gauges read pending, lag and failed by source.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { createBackgroundErrors, createLogger, SpanKind } from '../observability/index.ts';
import { migrate } from '../postgres/index.ts';
import { createTestDatabase, metricByLabel, metricValues, type TestDatabase } from '../testing/index.ts';
import { createTracingHarness } from '../testing/tracing-harness.ts';
import { createInboxProcessor, type InboxRow, reapInbox, requeueInboxRow } from './inbox.ts';
import { createWebhookInboxMetrics, createWebhookMetrics } from './metrics.ts';
import { webhooksMigrations } from './migrations.ts';

const { exporter, tracer } = createTracingHarness('inbox-test');
const log = createLogger({ level: 'silent' });
let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...webhooksMigrations]);
});
after(async () => {
  await db?.close();
});
afterEach(async () => {
  await db.pool.query('TRUNCATE webhook_inbox');
});

const PARENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT_SPAN = 'b7ad6b7169203331';

async function insert(
  id: string,
  fields: {
    source?: string;
    status?: string;
    ageS?: number;
    eventType?: string | null;
    traceparent?: string;
  } = {},
) {
  await db.pool.query(
    `INSERT INTO webhook_inbox (id, source, webhook_id, event_type, payload, raw_body, headers, status, reason,
       attempts, received_at, processed_at, traceparent)
     VALUES ($1, $2, 'msg_' || $1, $3, '{"n":1}', '\\x7b7d', '{}', $4, $5, 3, now() - make_interval(secs => $6),
       CASE WHEN $4 = 'received' THEN NULL ELSE now() END, $7)`,
    [
      id,
      fields.source ?? 'billing',
      fields.eventType === undefined ? 'invoice.paid' : fields.eventType,
      fields.status ?? 'received',
      fields.status === 'failed' ? 'partner down' : null,
      fields.ageS ?? 0,
      fields.traceparent ?? null,
    ],
  );
}

const rowOf = async (id: string) =>
  (
    await db.pool.query(
      'SELECT status, reason, attempts, processed_at IS NULL AS unprocessed, next_attempt_at <= now() AS due FROM webhook_inbox WHERE id = $1',
      [id],
    )
  ).rows[0];

describe('the inbox processor', () => {
  test('each processing is a CONSUMER span, a child of the intake span, with the row and its outcome', async () => {
    await insert('in_1', { traceparent: `00-${PARENT_TRACE}-${PARENT_SPAN}-01` });
    await insert('in_2', { eventType: null, source: 'crm' });
    const registry = new Registry();
    const metrics = createWebhookMetrics(registry);
    const seen: InboxRow[] = [];
    const processor = createInboxProcessor({
      db: db.pool,
      log,
      errors: createBackgroundErrors({ log }),
      metrics,
      tracer: tracer(),
      handle: async (row) => {
        seen.push(row);
        return row.eventType ? { status: 'processed' } : { status: 'ignored', reason: 'no type' };
      },
    });
    await processor.runOnce();
    assert.deepEqual(seen.map((r) => [r.id, r.source, r.webhookId, r.eventType, r.attempts]).sort(), [
      ['in_1', 'billing', 'msg_in_1', 'invoice.paid', 4],
      ['in_2', 'crm', 'msg_in_2', null, 4],
    ]);
    assert.deepEqual(seen.find((r) => r.id === 'in_1')?.payload, { n: 1 });
    assert.equal(seen.find((r) => r.id === 'in_2')?.traceparent, null);
    const spans = exporter.getFinishedSpans();
    const byId = new Map(spans.map((s) => [s.attributes['steadfast.webhook.inbox_id'], s]));
    const first = byId.get('in_1');
    assert.ok(first, 'a span for in_1');
    assert.equal(first.name, 'webhook process billing');
    assert.equal(first.kind, SpanKind.CONSUMER);
    assert.equal(first.spanContext().traceId, PARENT_TRACE);
    assert.equal(first.parentSpanContext?.spanId, PARENT_SPAN);
    assert.deepEqual(first.attributes, {
      'steadfast.webhook.source': 'billing',
      'steadfast.webhook.id': 'msg_in_1',
      'steadfast.webhook.inbox_id': 'in_1',
      'steadfast.webhook.attempt': 4,
      'steadfast.webhook.event_type': 'invoice.paid',
      'steadfast.webhook.outcome': 'processed',
    });
    const second = byId.get('in_2');
    assert.ok(second, 'a span for in_2');
    assert.equal(second.name, 'webhook process crm');
    assert.notEqual(second.spanContext().traceId, PARENT_TRACE, 'no traceparent: a trace of its own');
    assert.equal(second.attributes['steadfast.webhook.event_type'], undefined);
    assert.equal(second.attributes['steadfast.webhook.outcome'], 'ignored');
    assert.equal(second.attributes['steadfast.webhook.reason'], 'no type');
    assert.deepEqual(await rowOf('in_2'), {
      status: 'ignored',
      reason: 'no type',
      attempts: 4,
      unprocessed: false,
      due: false,
    });
    const lag = (await metricValues(metrics.lag)).filter((v) => v.metricName?.endsWith('_count'));
    assert.deepEqual(lag.map((v) => [v.labels.source, v.labels.outcome, v.value]).sort(), [
      ['billing', 'processed', 1],
      ['crm', 'ignored', 1],
    ]);
  });
});

describe('replay and retention', () => {
  test('requeueInboxRow puts a handled row back as new and due; an unknown id is undefined', async () => {
    await insert('in_failed', { status: 'failed' });
    assert.deepEqual(await requeueInboxRow(db.pool, 'in_failed'), { id: 'in_failed', status: 'received' });
    assert.deepEqual(await rowOf('in_failed'), {
      status: 'received',
      reason: null,
      attempts: 0,
      unprocessed: true,
      due: true,
    });
    assert.equal(await requeueInboxRow(db.pool, 'in_nope'), undefined);
  });

  test('reapInbox deletes handled rows older than the retention, in batches; waiting and recent rows stay', async () => {
    for (const [id, status, ageS] of [
      ['old_processed', 'processed', 7200],
      ['old_ignored', 'ignored', 7200],
      ['old_failed', 'failed', 7200],
      ['old_waiting', 'received', 7200],
      ['new_processed', 'processed', 10],
    ] as const)
      await insert(id, { status, ageS });
    assert.equal(await reapInbox(db.pool, 3600, 2), 3);
    const { rows } = await db.pool.query('SELECT id FROM webhook_inbox ORDER BY id');
    assert.deepEqual(
      rows.map((r) => r.id),
      ['new_processed', 'old_waiting'],
    );
    assert.equal(await reapInbox(db.pool, 3600), 0);
  });
});

describe('the backlog gauges', () => {
  test('pending, the oldest waiting delivery’s age and failed, by source, read when scraped', async () => {
    await insert('b_1', { ageS: 120 });
    await insert('b_2', { ageS: 30 });
    await insert('c_1', { source: 'crm', ageS: 5 });
    await insert('b_f', { status: 'failed' });
    await insert('b_p', { status: 'processed', ageS: 999 });
    const registry = new Registry();
    createWebhookInboxMetrics({ registry, db: db.pool, errors: createBackgroundErrors({ log }) });
    const read = (name: string) => metricByLabel(registry, name, 'source');
    assert.deepEqual(await read('steadfast_webhook_inbox_pending'), { billing: 2, crm: 1 });
    assert.deepEqual(await read('steadfast_webhook_inbox_failed'), { billing: 1 });
    const lag = await read('steadfast_webhook_inbox_lag_seconds');
    // lower bounds from the rows' ages; upper bounds that tell the rows apart, not the machine's speed
    assert.ok(
      lag.billing >= 120 && lag.billing < 999,
      `billing lag ${lag.billing}: the oldest waiting, not b_p`,
    );
    assert.ok(lag.crm >= 5 && lag.crm < 120, `crm lag ${lag.crm}`);
    await db.pool.query(`UPDATE webhook_inbox SET status = 'processed' WHERE status = 'received'`);
    assert.deepEqual(await read('steadfast_webhook_inbox_pending'), {});
    assert.deepEqual(await read('steadfast_webhook_inbox_lag_seconds'), {}, 'no sample when none waits');
  });
});
