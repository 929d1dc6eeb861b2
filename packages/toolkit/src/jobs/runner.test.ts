import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import { createIdGenerator } from '../ids/index.ts';
import { createBackgroundErrors, createLogger } from '../observability/index.ts';
import { createTestDatabase, eventually, type TestDatabase } from '../testing/index.ts';
import { enqueueJob } from './enqueue.ts';
import { createJobMetrics } from './metrics.ts';
import { createJobRunner } from './runner.ts';
import { PermanentJobError, type TaskDefinition } from './task.ts';

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
  return createJobRunner({
    pool: db.pool,
    tasks,
    log: createLogger({ level: 'silent' }),
    errors: createBackgroundErrors({ log: createLogger({ level: 'silent' }) }),
    metrics: createJobMetrics(new Registry(), db.pool),
    newId: (p) => ids.next(p),
    defaultMaxAttempts: 3,
    defaultMaxDelayMs: 20,
    heartbeatMs: 100,
    ...extra,
  });
}

test('workers heartbeat; a silent worker’s locked jobs are released and run again', async () => {
  const runner = runnerWith([{ name: 'noop', async run() {} }]);
  await runner.start();
  try {
    const ids = runner.workerIds();
    assert.ok(ids.length > 0);
    await eventually(
      async () => (await db.pool.query('SELECT count(*)::int AS n FROM worker_heartbeats')).rows[0].n > 0,
    );
    // a job locked by a worker that died long ago
    await enqueueJob(db.pool, 'noop', { x: 1 }, { key: 'stuck' });
    await db.pool.query(
      `UPDATE graphile_worker._private_jobs SET locked_by = 'worker-dead', locked_at = now() WHERE key = 'stuck'`,
    );
    await db.pool.query(
      `INSERT INTO worker_heartbeats (worker_id, process_id, last_seen_at) VALUES ('worker-dead', 'gone', now() - interval '1 hour')`,
    );
    await eventually(
      async () =>
        (
          await db.pool.query(
            `SELECT count(*)::int AS n FROM graphile_worker._private_jobs WHERE key = 'stuck'`,
          )
        ).rows[0].n === 0,
      { timeoutMs: 5000 },
    );
  } finally {
    await runner.stop();
  }
});

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
    await enqueueJob(db.pool, 'flaky', { tenantId: 'ten_1' });
    await enqueueJob(db.pool, 'refused', {});
    const letters = await eventually(async () => {
      const { rows } = await db.pool.query(
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
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM graphile_worker._private_jobs WHERE key = 'periodic:tick'`,
    );
    assert.ok(rows[0].n <= 1, 'never two scheduled runs');
  } finally {
    await a.stop();
    await b.stop();
  }
});
