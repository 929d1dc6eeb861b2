/**
 * The runner's workers: four at a time by default, no signal handlers of
 * graphile-worker's own, a heartbeat per worker id, the jobs of a silent
 * worker released (and logged), graphile-worker's schema migrated on its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { createIdGenerator } from '../ids/index.ts';
import { createBackgroundErrors, createLogger } from '../observability/index.ts';
import { withTransaction } from '../postgres/index.ts';
import { createLogCapture, createTestDatabase, eventually, type TestDatabase } from '../testing/index.ts';
import { enqueueJob } from './enqueue.ts';
import { createJobMetrics } from './metrics.ts';
import { createJobRunner, migrateJobs } from './runner.ts';
import type { TaskDefinition } from './task.ts';

describe('job runner workers', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
  });
  after(() => db.close());

  function runnerWith(
    tasks: TaskDefinition<never>[],
    extra: Partial<Parameters<typeof createJobRunner>[0]> = {},
  ) {
    const ids = createIdGenerator();
    const log = createLogger({ level: 'silent' });
    return createJobRunner({
      pool: db.pool,
      tasks,
      log,
      errors: createBackgroundErrors({ log }),
      metrics: createJobMetrics(new Registry(), db.pool),
      newId: (p) => ids.next(p),
      ...extra,
    });
  }

  const heartbeats = async () =>
    (
      await db.pool.query<{ worker_id: string }>('SELECT worker_id FROM worker_heartbeats ORDER BY worker_id')
    ).rows.map((r) => r.worker_id);

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
    for (let i = 0; i < 5; i++) await enqueueJob(db.pool, 'held', { i });
    await eventually(() => running === 4);
    release();
  });

  test('each worker id beats at once; stop() deletes the beats of the ids it still holds', async () => {
    await db.pool.query('DELETE FROM worker_heartbeats');
    const runner = runnerWith([{ name: 'noop', async run() {} }], { heartbeatMs: 600_000, concurrency: 1 });
    await runner.start();
    let ids: string[];
    try {
      ids = runner.workerIds().sort();
      assert.equal(ids.length, 2, 'the pool and its worker');
      // the first beat comes from the workers' creation, not from the (ten-minute) interval
      await eventually(async () => (await heartbeats()).length === 2);
      assert.deepEqual(await heartbeats(), ids);
    } finally {
      await runner.stop();
    }
    const held = runner.workerIds().sort();
    assert.deepEqual(
      await heartbeats(),
      ids.filter((id) => !held.includes(id)),
    );
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
    await withTransaction(db.pool, async (tx) => {
      await enqueueJob(tx, 'stuck-one', {}, { key: 'stuck-one' });
      await tx.query(
        `UPDATE graphile_worker._private_jobs SET locked_by = 'worker-gone', locked_at = now() WHERE key = 'stuck-one'`,
      );
    });
    await db.pool.query(
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
