/**
 * The inbox processor's edges, on real Postgres: the lag it observes (from
 * receipt, on its clock), a row out of attempts (logged, handed to onFailed or
 * not, a failing onFailed reported under the dispatcher's name), how long it
 * waits when idle, an outcome's empty reason on the span, and the start-up
 * checks of intake and processor naming the migrations to apply.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { Registry } from 'prom-client';
import { createBackgroundErrors, createLogger, type Tracer } from '../observability/index.ts';
import type { Queryable } from '../postgres/index.ts';
import {
  createFakeClock,
  createLogCapture,
  createTestDatabase,
  eventually,
  metricValues,
  type TestDatabase,
} from '../testing/index.ts';
import { createInboxProcessor, type HandlerOutcome, type InboxProcessorOptions } from './inbox.ts';
import { startIntake, useInboxDatabase } from './intake-harness.ts';
import { createWebhookMetrics } from './metrics.ts';

const RECEIVED_AT = '2026-01-01T00:00:00Z';
const silent = createLogger({ level: 'silent' });

type Reported = [string, string, unknown];
const recordingErrors = (reported: Reported[]) => ({
  report: (component: string, error: unknown, context?: Record<string, unknown>) =>
    void reported.push([component, error instanceof Error ? error.message : String(error), context]),
});

describe('the inbox processor', () => {
  const db = useInboxDatabase();

  const insert = (id: string, source = 'billing') =>
    db.pool.query(
      `INSERT INTO webhook_inbox (id, source, webhook_id, event_type, payload, raw_body, headers, status, received_at)
       VALUES ($1, $2, 'msg_' || $1, 'invoice.paid', '{}', '\\x7b7d', '{}', 'received', $3)`,
      [id, source, RECEIVED_AT],
    );
  const rowOf = async (id: string) =>
    (await db.pool.query('SELECT status, reason, attempts FROM webhook_inbox WHERE id = $1', [id])).rows[0];
  const processor = (options: Partial<InboxProcessorOptions> & Pick<InboxProcessorOptions, 'handle'>) =>
    createInboxProcessor({
      db: db.pool,
      log: silent,
      errors: createBackgroundErrors({ log: silent }),
      metrics: createWebhookMetrics(new Registry()),
      ...options,
    });
  const failing = async (): Promise<HandlerOutcome> => {
    throw new Error('partner API down');
  };

  test('the lag is observed in seconds from receipt to the processor’s clock', async () => {
    await insert('in_lag');
    const metrics = createWebhookMetrics(new Registry());
    const clock = createFakeClock(Date.UTC(2026, 0, 1) + 2500);
    const inbox = processor({ metrics, clock, handle: async () => ({ status: 'processed' }) });
    assert.equal(await inbox.runOnce(), 1);
    const samples = (await metricValues(metrics.lag)).filter((s) => !s.metricName?.endsWith('_bucket'));
    assert.deepEqual(samples, [
      {
        labels: { source: 'billing', outcome: 'processed' },
        value: 2.5,
        metricName: 'steadfast_webhook_processing_lag_seconds_sum',
      },
      {
        labels: { source: 'billing', outcome: 'processed' },
        value: 1,
        metricName: 'steadfast_webhook_processing_lag_seconds_count',
      },
    ]);
  });

  test('out of attempts without onFailed: the row is failed, the failure logged, nothing reported', async () => {
    await insert('in_poison');
    const logs = createLogCapture();
    const reported: Reported[] = [];
    const inbox = processor({
      log: createLogger({ level: 'error', destination: logs.stream }),
      errors: recordingErrors(reported),
      handle: failing,
      maxAttempts: 1,
    });
    assert.equal(await inbox.runOnce(), 1);
    assert.deepEqual(await rowOf('in_poison'), { status: 'failed', reason: 'partner API down', attempts: 1 });
    assert.deepEqual(reported, []);
    const lines = logs.lines().map((l) => ({
      level: l.level,
      msg: l.msg,
      inboxId: l.inboxId,
      source: l.source,
      err: (l.err as { message?: string } | undefined)?.message,
    }));
    assert.deepEqual(lines, [
      {
        level: 50,
        msg: 'webhook event failed',
        inboxId: 'in_poison',
        source: 'billing',
        err: 'partner API down',
      },
    ]);
  });

  test('an onFailed that throws is reported under the dispatcher’s name, with the row id', async () => {
    await insert('in_dead');
    const reported: Reported[] = [];
    const inbox = processor({
      errors: recordingErrors(reported),
      handle: failing,
      maxAttempts: 1,
      onFailed: async () => {
        throw new Error('dead letter table down');
      },
    });
    assert.equal(await inbox.runOnce(), 1);
    assert.equal((await rowOf('in_dead')).status, 'failed');
    assert.deepEqual(reported, [['webhook-inbox', 'dead letter table down', { id: 'in_dead' }]]);
  });

  test('an idle poll waits idleMs before the next, 100 ms unless told', async (t) => {
    const timers = t.mock.method(globalThis, 'setTimeout');
    /** the delays the poll loop asked for (its callback is the function `loop`) */
    const pollDelays = () =>
      timers.mock.calls
        .filter((c) => (c.arguments[0] as { name?: string }).name === 'loop')
        .map((c) => c.arguments[1]);
    for (const [idleMs, expected] of [
      [7, 7],
      [undefined, 100],
    ] as const) {
      timers.mock.resetCalls();
      const inbox = processor({ idleMs, handle: async () => ({ status: 'processed' }) });
      await inbox.start();
      try {
        await eventually(() => pollDelays().length > 0);
        assert.deepEqual([...new Set(pollDelays())], [expected], `idleMs ${idleMs}`);
      } finally {
        await inbox.stop();
      }
    }
  });

  test('an outcome’s empty reason is not put on the span', async (t) => {
    await insert('in_traced');
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    t.after(() => provider.shutdown());
    const inbox = processor({
      tracer: provider.getTracer('inbox-processor-test') as Tracer,
      handle: async () => ({ status: 'ignored', reason: '' }),
    });
    assert.equal(await inbox.runOnce(), 1);
    await provider.forceFlush();
    assert.deepEqual(
      exporter.getFinishedSpans().map((s) => s.attributes),
      [
        {
          'steadfast.webhook.source': 'billing',
          'steadfast.webhook.id': 'msg_in_traced',
          'steadfast.webhook.inbox_id': 'in_traced',
          'steadfast.webhook.attempt': 1,
          'steadfast.webhook.event_type': 'invoice.paid',
          'steadfast.webhook.outcome': 'ignored',
        },
      ],
    );
    assert.deepEqual(await rowOf('in_traced'), { status: 'ignored', reason: '', attempts: 1 });
  });
});

describe('start-up checks without the migration', () => {
  let empty: TestDatabase;
  before(async () => {
    empty = await createTestDatabase({ template: 'template0' });
  });
  after(async () => {
    await empty?.close();
  });
  const message =
    'the database is missing migration webhooks/0001_webhook_inbox (and 2 more): apply it at start with migrate(pool, [...webhooksMigrations])';

  test('the intake and the processor name the export to migrate with', async (t) => {
    const intake = await startIntake({ db: empty.pool as Queryable, ready: false });
    t.after(() => intake.app.close());
    await assert.rejects(async () => intake.app.ready(), { name: 'MigrationError', message });
    const inbox = createInboxProcessor({
      db: empty.pool,
      log: silent,
      errors: createBackgroundErrors({ log: silent }),
      metrics: createWebhookMetrics(new Registry()),
      handle: async () => ({ status: 'processed' }),
    });
    await assert.rejects(inbox.start(), { name: 'MigrationError', message });
  });
});
