/**
 * What a job run leaves behind: its duration by task and outcome, the retry
 * (its delay from the default policy, its run_at, its trace), the dead letter
 * (a tenant only when it is a string), and the log lines — ours and the ones
 * graphile-worker sends through our logger (errors and warnings only).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../observability/index.ts';
import { createLogCapture, eventually, metricValues } from '../testing/index.ts';
import { enqueueJob } from './enqueue.ts';
import { createJobMetrics } from './metrics.ts';
import { createRunnerHarness } from './runner-harness.ts';
import { PermanentJobError, type TaskDefinition } from './task.ts';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('job runner outcomes', () => {
  const harness = createRunnerHarness();

  test('durations, the default retry delay, dead letters and the log lines', async (t) => {
    // the clock the runner measures durations with: each task moves it on
    let now = 1000;
    t.mock.method(performance, 'now', () => now);
    const capture = createLogCapture();
    const log = createLogger({ level: 'debug', destination: capture.stream });
    const registry = new Registry();
    const runs: string[] = [];
    const tasks: TaskDefinition<never>[] = [
      {
        name: 'quick',
        async run() {
          now += 250;
          runs.push('quick');
        },
      },
      {
        name: 'refused',
        async run() {
          now += 500;
          runs.push('refused');
          throw new PermanentJobError('not a CSV');
        },
      },
      {
        name: 'later',
        baseDelayMs: 1_000_000,
        async run() {
          runs.push('later');
          throw new Error('partner down');
        },
      },
      {
        name: 'hook-breaks',
        async run() {
          throw new PermanentJobError('no');
        },
        async onDeadLetter() {
          throw new Error('hook broken');
        },
      },
    ];
    const runner = harness.runnerWith(tasks, {
      log,
      metrics: createJobMetrics(registry, harness.db.pool),
      random: () => 0.5,
      concurrency: 100, // more than the pool's connections: graphile-worker warns
      heartbeatMs: 60_000,
    });
    await runner.start();
    t.after(() => runner.stop());

    await enqueueJob(harness.db.pool, 'quick', {});
    await eventually(() => runs.includes('quick'));
    await enqueueJob(harness.db.pool, 'refused', { tenantId: 42 });
    await enqueueJob(harness.db.pool, 'later', { n: 1 }, { traceparent: TRACEPARENT });
    await enqueueJob(harness.db.pool, 'hook-breaks', {});

    const [letter] = await eventually(async () => {
      const { rows } = await harness.db.pool.query(
        `SELECT task, attempts, error_category, tenant_id FROM dead_letters WHERE task = 'refused'`,
      );
      return rows.length > 0 && rows;
    });
    assert.deepEqual(letter, { task: 'refused', attempts: 1, error_category: 'permanent', tenant_id: null });

    // the retry: attempt 2, min(60 s default cap, 1000 s) × 0.5 from now, the request's trace kept
    const [retry] = await eventually(async () => {
      const { rows } = await harness.db.pool.query(
        `SELECT j.payload, j.run_at > now() + interval '20 seconds' AS later,
                j.run_at < now() + interval '31 seconds' AS soon
           FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
          WHERE t.identifier = 'later'`,
      );
      return rows.length > 0 && rows[0].payload.__attempt === 2 && rows;
    });
    assert.deepEqual(retry.payload.n, 1);
    assert.equal(retry.payload.__traceparent, TRACEPARENT);
    assert.deepEqual([retry.later, retry.soon], [true, true]);

    const lines = await eventually(() => {
      const all = capture.lines();
      return all.some((l) => String(l.msg).startsWith('Failed task')) && all;
    });
    const retried = lines.find((l) => l.msg === 'job failed; retrying');
    assert.deepEqual(
      [retried?.level, retried?.task, retried?.attempt, retried?.delayMs],
      [40, 'later', 1, 30_000],
    );
    assert.equal((retried?.err as { message?: string } | undefined)?.message, 'partner down');
    const dead = lines.find((l) => l.msg === 'job dead-lettered' && l.task === 'refused');
    assert.deepEqual([dead?.level, dead?.attempt], [50, 1]);
    assert.equal((dead?.err as { message?: string } | undefined)?.message, 'not a CSV');

    // graphile-worker's own lines: its error (the dead letter's transaction failed) and its warning
    const failed = lines.find((l) => String(l.msg).startsWith('Failed task'));
    assert.equal(failed?.level, 50);
    assert.match(String(failed?.msg), /\(hook-breaks, .*with error 'hook broken'/);
    assert.equal((failed?.meta as { failure?: boolean } | undefined)?.failure, true);
    const warned = lines.find((l) => String(l.msg).startsWith('WARNING: having maxPoolSize'));
    assert.equal(warned?.level, 40);
    assert.equal((warned?.meta as { concurrency?: number } | undefined)?.concurrency, 100);
    // its info lines (e.g. "Worker connected and looking for jobs") are not logged at all
    const ours = [
      'job failed; retrying',
      'job dead-lettered',
      'released the jobs of silent workers',
      'worker-heartbeat failed',
    ];
    const loud = lines.filter((l) => (l.level as number) >= 40 && !ours.includes(String(l.msg)));
    assert.ok(
      loud.every((l) => /^(Failed task|WARNING: having maxPoolSize)/.test(String(l.msg))),
      JSON.stringify(loud.map((l) => l.msg)),
    );
    assert.ok(lines.length > 0 && lines.every((l) => (l.level as number) >= 40));

    const durations = (await metricValues(registry, 'steadfast_job_duration_seconds')).filter(
      (s) =>
        s.metricName === 'steadfast_job_duration_seconds_sum' &&
        ['quick', 'refused'].includes(String(s.labels.task)),
    );
    assert.deepEqual(durations.map((s) => [s.labels.task, s.labels.outcome, s.value]).sort(), [
      ['quick', 'success', 0.25],
      ['refused', 'failure', 0.5],
    ]);
  });
});
