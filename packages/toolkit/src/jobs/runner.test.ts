/**
 * The runner end to end: retries with backoff then a dead letter, permanent
 * errors at once, periodic tasks scheduled once across runners. (Workers,
 * heartbeats and silent workers: runner-workers.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventually } from '../testing/index.ts';
import { enqueueJob } from './enqueue.ts';
import { createRunnerHarness } from './runner-harness.ts';
import { PermanentJobError, type TaskDefinition } from './task.ts';

const harness = createRunnerHarness();
/** three attempts, almost no backoff, a fast heartbeat */
const runnerWith = (tasks: TaskDefinition<never>[], extra: Parameters<typeof harness.runnerWith>[1] = {}) =>
  harness.runnerWith(tasks, { defaultMaxAttempts: 3, defaultMaxDelayMs: 20, heartbeatMs: 100, ...extra });

test('retries with backoff, then a dead letter; permanent errors skip the retries', async () => {
  let flaky = 0;
  let permanent = 0;
  const runner = runnerWith([
    {
      name: 'flaky',
      async run() {
        flaky++;
        throw new Error('still broken');
      },
    },
    {
      name: 'refused',
      async run() {
        permanent++;
        throw new PermanentJobError('never');
      },
    },
  ]);
  await runner.start();
  try {
    await enqueueJob(harness.db.pool, 'flaky', { tenantId: 'ten_1' });
    await enqueueJob(harness.db.pool, 'refused', {});
    const letters = await eventually(async () => {
      const { rows } = await harness.db.pool.query(
        `SELECT task, attempts, error_category, tenant_id FROM dead_letters WHERE task IN ('flaky', 'refused') ORDER BY task`,
      );
      return rows.length === 2 && rows;
    });
    assert.deepEqual(letters, [
      { task: 'flaky', attempts: 3, error_category: 'exhausted', tenant_id: 'ten_1' },
      { task: 'refused', attempts: 1, error_category: 'permanent', tenant_id: null },
    ]);
    assert.equal(flaky, 3);
    assert.equal(permanent, 1);
  } finally {
    await runner.stop();
  }
});

test('periodic tasks run more often than once a minute, scheduled once across runners', async () => {
  let runs = 0;
  const task = {
    name: 'tick',
    async run() {
      runs++;
    },
  };
  const a = runnerWith([task], { periodic: [{ task: 'tick', everyMs: 200 }] });
  const b = runnerWith([task], { periodic: [{ task: 'tick', everyMs: 200 }] });
  await a.start();
  await b.start();
  try {
    await eventually(() => runs >= 3, { timeoutMs: 5000 });
    const { rows } = await harness.db.pool.query(
      `SELECT count(*)::int AS n FROM graphile_worker._private_jobs WHERE key = 'periodic:tick'`,
    );
    assert.ok(rows[0].n <= 1, 'never two scheduled runs');
  } finally {
    await a.stop();
    await b.stop();
  }
});
