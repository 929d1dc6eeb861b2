/**
 * The runner's workers: four at a time by default, no signal handlers of
 * graphile-worker's own, a heartbeat per worker id (and a failed one
 * reported), the jobs of a silent worker released (and logged),
 * graphile-worker's schema migrated on its own.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../observability/index.ts';
import { withTransaction } from '../postgres/index.ts';
import { createLogCapture, createTestDatabase, eventually } from '../testing/index.ts';
import { enqueueJob } from './enqueue.ts';
import { migrateJobs } from './runner.ts';
import { createRunnerHarness, recordingErrors } from './runner-harness.ts';

describe('job runner workers', () => {
  const harness = createRunnerHarness();
  const { runnerWith, heartbeats } = harness;

  test('four jobs at a time by default; graphile-worker handles no signals', async (t) => {
    const signals = ['SIGTERM', 'SIGINT', 'SIGUSR2'].map((s) => process.listenerCount(s));
    let running = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const runner = runnerWith([
      {
        name: 'held',
        async run() {
          running++;
          await gate;
        },
      },
    ]);
    await runner.start();
    t.after(() => runner.stop());
    t.after(() => release());
    assert.deepEqual(
      ['SIGTERM', 'SIGINT', 'SIGUSR2'].map((s) => process.listenerCount(s)),
      signals,
    );
    for (let i = 0; i < 5; i++) await enqueueJob(harness.db.pool, 'held', { i });
    await eventually(() => running === 4);
    release();
  });

  test('each worker id beats at once; stop() deletes the beats of the ids it still holds', async () => {
    await harness.db.pool.query('DELETE FROM worker_heartbeats');
    const runner = runnerWith([{ name: 'noop', async run() {} }], { heartbeatMs: 600_000, concurrency: 1 });
    await runner.start();
    let pool = '';
    let worker = '';
    try {
      const ids = runner.workerIds().sort();
      // graphile-worker's ids: `pool-` or `worker-` and 18 hex digits
      assert.deepEqual(
        ids.map((id) => id.replace(/-[0-9a-f]{18}$/, '')),
        ['pool', 'worker'],
      );
      [pool, worker] = ids;
      // the first beat comes from the workers' creation, not from the (ten-minute) interval
      await eventually(async () => (await heartbeats()).length === 2);
      assert.deepEqual(await heartbeats(), [pool, worker]);
    } finally {
      await runner.stop();
    }
    // the worker's stop took its id out; stop() deleted the pool's beat, the worker's expires by itself
    assert.deepEqual(runner.workerIds(), [pool]);
    assert.deepEqual(await heartbeats(), [worker]);
  });

  test('a failed heartbeat is reported as worker-heartbeat, and so is a failed clean-up in stop()', async () => {
    await harness.db.pool.query('ALTER TABLE worker_heartbeats RENAME TO worker_heartbeats_away');
    try {
      const errors = recordingErrors();
      const runner = runnerWith([{ name: 'noop', async run() {} }], {
        errors,
        heartbeatMs: 600_000,
        concurrency: 1,
      });
      await runner.start();
      const gone = { component: 'worker-heartbeat', message: 'relation "worker_heartbeats" does not exist' };
      try {
        // one beat for the pool's creation, one for its worker's
        await eventually(() => errors.seen.length === 2);
        assert.deepEqual(errors.seen, [gone, gone]);
      } finally {
        await runner.stop();
      }
      assert.deepEqual(errors.seen, [gone, gone, gone]);
    } finally {
      await harness.db.pool.query('ALTER TABLE worker_heartbeats_away RENAME TO worker_heartbeats');
    }
  });

  test('a silent worker’s jobs are released, and the release is logged with its id', async (t) => {
    const capture = createLogCapture();
    const log = createLogger({ level: 'warn', destination: capture.stream });
    let ran = 0;
    const runner = runnerWith(
      [
        {
          name: 'stuck-one',
          async run() {
            ran++;
          },
        },
      ],
      { log, heartbeatMs: 50, workerDeadAfterS: 30 },
    );
    await runner.start();
    t.after(() => runner.stop());
    // enqueued already locked by a worker that is gone (one transaction: no worker takes it first)
    await withTransaction(harness.db.pool, async (tx) => {
      await enqueueJob(tx, 'stuck-one', {}, { key: 'stuck-one' });
      await tx.query(
        `UPDATE graphile_worker._private_jobs SET locked_by = 'worker-gone', locked_at = now() WHERE key = 'stuck-one'`,
      );
    });
    await harness.db.pool.query(
      `INSERT INTO worker_heartbeats (worker_id, process_id, last_seen_at) VALUES ('worker-gone', 'gone', now() - interval '31 seconds')`,
    );
    await eventually(() => ran === 1, { timeoutMs: 5000 });
    const released = capture.lines().filter((l) => l.msg === 'released the jobs of silent workers');
    assert.deepEqual(
      released.map((l) => [l.level, l.workers]),
      [[40, ['worker-gone']]],
    );
  });

  test('migrateJobs creates graphile-worker’s schema', async () => {
    const empty = await createTestDatabase({ template: 'template0' });
    try {
      await migrateJobs(empty.pool);
      const { rows } = await empty.pool.query(
        `SELECT to_regclass('graphile_worker._private_jobs') IS NOT NULL AS jobs`,
      );
      assert.deepEqual(rows, [{ jobs: true }]);
    } finally {
      await empty.close();
    }
  });
});
