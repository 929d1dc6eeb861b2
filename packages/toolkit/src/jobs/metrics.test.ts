/**
 * The job metrics on the app's registry: registered once (a second call gets
 * the same metrics), the duration's buckets, the queue depth read from
 * graphile-worker's jobs at each scrape (a task with no jobs left disappears,
 * a failed read without `errors` still renders), and the dead-letter gauges
 * returned to the caller.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import type { BackgroundErrors } from '../observability/index.ts';
import type { Queryable } from '../postgres/index.ts';
import { createTestDatabase, metricByLabel, metricValues, type TestDatabase } from '../testing/index.ts';
import { enqueueJob } from './enqueue.ts';
import { createDeadLetterMetrics, createJobMetrics } from './metrics.ts';
import { migrateJobs } from './runner.ts';

const down: Queryable = {
  query: (() => Promise.reject(new Error('connection refused'))) as Queryable['query'],
};
const ignored: BackgroundErrors = { report: () => {} };

describe('job metrics', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    await migrateJobs(db.pool);
  });
  after(() => db.close());

  test('registered once per registry: a second call gets the same metrics, the ones the registry serves', () => {
    const registry = new Registry();
    const first = createJobMetrics(registry, down);
    const second = createJobMetrics(registry, down);
    const names = {
      duration: 'steadfast_job_duration_seconds',
      retries: 'steadfast_job_retries_total',
      deadLetters: 'steadfast_dead_letters_total',
      queueDepth: 'steadfast_job_queue_depth',
    } as const;
    for (const [key, name] of Object.entries(names) as [keyof typeof names, string][]) {
      assert.equal(second[key], first[key], key);
      assert.equal(registry.getSingleMetric(name), first[key], name);
    }
  });

  test('durations fall into buckets from 5 ms to 30 s', async () => {
    const registry = new Registry();
    createJobMetrics(registry, down).duration.observe({ task: 'charge', outcome: 'success' }, 0.2);
    const buckets = (await metricValues(registry, 'steadfast_job_duration_seconds')).filter(
      (s) => s.metricName === 'steadfast_job_duration_seconds_bucket',
    );
    assert.deepEqual(
      buckets.map((s) => [s.labels.le, s.value]),
      [
        [0.005, 0],
        [0.01, 0],
        [0.05, 0],
        [0.1, 0],
        [0.5, 1],
        [1, 1],
        [5, 1],
        [10, 1],
        [30, 1],
        ['+Inf', 1],
      ],
    );
  });

  test('the queue depth counts the jobs of each task at each scrape; a task with none left is gone', async () => {
    const registry = new Registry();
    createJobMetrics(registry, db.pool, ignored);
    await enqueueJob(db.pool, 'depth-a', { n: 1 });
    await enqueueJob(db.pool, 'depth-a', { n: 2 });
    await enqueueJob(db.pool, 'depth-b', { n: 3 });
    assert.deepEqual(await metricByLabel(registry, 'steadfast_job_queue_depth', 'task'), {
      'depth-a': 2,
      'depth-b': 1,
    });
    await db.pool.query(
      `DELETE FROM graphile_worker._private_jobs j USING graphile_worker._private_tasks t
        WHERE t.id = j.task_id AND t.identifier = 'depth-a'`,
    );
    assert.deepEqual(await metricByLabel(registry, 'steadfast_job_queue_depth', 'task'), { 'depth-b': 1 });
  });

  test('without errors, a failed read of the queue depth still renders /metrics', async () => {
    const registry = new Registry();
    createJobMetrics(registry, down);
    const text = await registry.metrics();
    assert.match(text, /# TYPE steadfast_job_queue_depth gauge/);
    assert.doesNotMatch(text, /steadfast_job_queue_depth\{/);
  });

  test('the dead-letter gauges are returned: the open letters and the live workers', () => {
    const registry = new Registry();
    const gauges = createDeadLetterMetrics({ registry, db: down, errors: ignored });
    assert.deepEqual(Object.keys(gauges), ['open', 'workersAlive']);
    assert.equal(gauges.open, registry.getSingleMetric('steadfast_dead_letters_open'));
    assert.equal(gauges.workersAlive, registry.getSingleMetric('steadfast_workers_alive'));
  });
});
