/**
 * Job runs continue the trace of the span that enqueued them: the job's
 * payload carries `__traceparent` (the task never sees it), every run —
 * retries included — is a CONSUMER child of that span, and a failed run is
 * marked failed with its outcome.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import { createIdGenerator } from '../ids/index.ts';
import { createBackgroundErrors, createLogger, inSpan, SpanKind } from '../observability/index.ts';
import { createTestDatabase, eventually, type TestDatabase } from '../testing/index.ts';
import { createTracingHarness } from '../testing/tracing-harness.ts';
import { enqueueJob } from './enqueue.ts';
import { createJobMetrics } from './metrics.ts';
import { createJobRunner } from './runner.ts';
import { PermanentJobError, type TaskContext } from './task.ts';

const { exporter, tracer } = createTracingHarness('jobs-test');
let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.close();
});

test('every run of a job is a child of the span that enqueued it; the payload the task sees is its own', async () => {
  const seen: Record<string, unknown>[] = [];
  const jobIds: string[] = [];
  const ids = createIdGenerator();
  const runner = createJobRunner({
    pool: db.pool,
    tasks: [
      {
        name: 'flaky',
        baseDelayMs: 1,
        async run(payload: Record<string, unknown>, context: TaskContext) {
          seen.push(payload);
          jobIds.push(context.jobId);
          if (context.attempt === 1) throw new Error('first run fails');
        },
      },
    ] as never[],
    log: createLogger({ level: 'silent' }),
    errors: createBackgroundErrors({ log: createLogger({ level: 'silent' }) }),
    metrics: createJobMetrics(new Registry(), db.pool),
    newId: (p) => ids.next(p),
    defaultMaxAttempts: 3,
    defaultMaxDelayMs: 5,
    tracer: tracer(),
  });
  await runner.start();
  try {
    const request = await inSpan(tracer(), 'POST /things', { kind: SpanKind.SERVER }, async (span) => {
      await enqueueJob(db.pool, 'flaky', { n: 1 });
      return span;
    });
    const runs = await eventually(() => {
      const found = exporter.getFinishedSpans().filter((s) => s.name === 'job flaky');
      return found.length === 2 && found;
    });
    const parent = request?.spanContext();
    for (const run of runs) {
      assert.equal(run.spanContext().traceId, parent?.traceId);
      assert.equal(run.parentSpanContext?.spanId, parent?.spanId, 'a retry is a child of the request too');
      assert.equal(run.kind, SpanKind.CONSUMER);
    }
    const [first, second] = runs.sort(
      (a, b) => Number(a.attributes['steadfast.job.attempt']) - Number(b.attributes['steadfast.job.attempt']),
    );
    assert.equal(first.status.code, 2);
    assert.equal(second.status.code, 0);
    // the job ids graphile-worker gave the two runs (a retry is a new job)
    assert.deepEqual(
      jobIds.map((id) => /^\d+$/.test(id)),
      [true, true],
    );
    assert.deepEqual(first.attributes, {
      'steadfast.job.task': 'flaky',
      'steadfast.job.attempt': 1,
      'steadfast.job.id': jobIds[0],
      'steadfast.job.outcome': 'retry',
    });
    assert.deepEqual(second.attributes, {
      'steadfast.job.task': 'flaky',
      'steadfast.job.attempt': 2,
      'steadfast.job.id': jobIds[1],
    });
    assert.deepEqual(seen, [{ n: 1 }, { n: 1 }], 'the runner keeps __traceparent to itself');
    const stored = await db.pool.query(`SELECT count(*)::int AS n FROM graphile_worker._private_jobs`);
    assert.equal(stored.rows[0].n, 0);
  } finally {
    await runner.stop();
  }
});

test('a dead-lettered run is marked failed with the outcome dead-letter', async () => {
  const ids = createIdGenerator();
  const runner = createJobRunner({
    pool: db.pool,
    tasks: [
      {
        name: 'refused',
        async run() {
          throw new PermanentJobError('not a CSV');
        },
      },
    ],
    log: createLogger({ level: 'silent' }),
    errors: createBackgroundErrors({ log: createLogger({ level: 'silent' }) }),
    metrics: createJobMetrics(new Registry(), db.pool),
    newId: (p) => ids.next(p),
    tracer: tracer(),
  });
  await runner.start();
  try {
    await enqueueJob(db.pool, 'refused', {}, { traceparent: null });
    const [run] = await eventually(() => {
      const found = exporter.getFinishedSpans().filter((s) => s.name === 'job refused');
      return found.length === 1 && found;
    });
    assert.deepEqual(
      [run.status.code, run.attributes['steadfast.job.attempt'], run.attributes['steadfast.job.outcome']],
      [2, 1, 'dead-letter'],
    );
  } finally {
    await runner.stop();
  }
});

test('outside any span, or with traceparent: null, a job carries no trace context', async () => {
  await enqueueJob(db.pool, 'nobody-runs-this', { a: 1 }, { key: 'a' });
  await inSpan(tracer(), 'schedule', {}, () =>
    enqueueJob(db.pool, 'nobody-runs-this', { b: 1 }, { key: 'b', traceparent: null }),
  );
  const { rows } = await db.pool.query(
    `SELECT key, payload FROM graphile_worker._private_jobs WHERE key IN ('a', 'b') ORDER BY key`,
  );
  assert.deepEqual(
    rows.map((r) => [r.key, '__traceparent' in r.payload]),
    [
      ['a', false],
      ['b', false],
    ],
  );
});
