/** Usage of @steadfast/toolkit/jobs: enqueue in a transaction, run, retry, dead-letter, replay. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  closeDeadLetter,
  createJobMetrics,
  createJobRunner,
  enqueueJob,
  jobsMigrations,
  listDeadLetters,
  migrateJobs,
  PermanentJobError,
  type TaskDefinition,
} from '@steadfast/toolkit/jobs';
import { createBackgroundErrors, createHttpMetrics, createLogger } from '@steadfast/toolkit/observability';
import { ALL_TENANTS, migrate, type Pool, withTransaction } from '@steadfast/toolkit/postgres';
import { createTestDatabase, eventually, type TestDatabase } from '@steadfast/toolkit/testing';

let db: TestDatabase;

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  const pool = db.pool;
  // docs:start migrate
  await migrate(pool, [...jobsMigrations]); // dead letters and heartbeats
  await migrateJobs(pool); // graphile-worker's own schema (start() runs it too)
  // docs:end migrate
  await pool.query('CREATE TABLE invoices (id text PRIMARY KEY, paid boolean NOT NULL DEFAULT false)');
  await pool.query(`INSERT INTO invoices (id) VALUES ('inv_1')`);
});
after(() => db?.close());

/** a runner for the failure tests: three attempts, no backoff pause between them */
function runnerFor(pool: Pool, tasks: TaskDefinition<never>[]) {
  const log = createLogger({ level: 'silent' });
  const registry = createHttpMetrics().registry;
  const runner = createJobRunner({
    pool,
    log,
    errors: createBackgroundErrors({ log }),
    metrics: createJobMetrics(registry, pool),
    newId: (prefix) => `${prefix}_${randomUUID()}`,
    tasks,
    defaultMaxAttempts: 3,
    random: () => 0,
  });
  return { runner, registry };
}

const deadLettersOf = (task: string) => listDeadLetters(db.pool, { tenantId: ALL_TENANTS, task, limit: 10 });

describe('jobs', () => {
  test('a job enqueued in a committed transaction runs; workers heartbeat', async (t) => {
    const pool = db.pool;
    const receipts: string[] = [];
    // docs:start runner
    const log = createLogger();
    const registry = createHttpMetrics().registry; // the registry your /metrics serves
    const runner = createJobRunner({
      pool,
      log,
      errors: createBackgroundErrors({ log, registry }),
      metrics: createJobMetrics(registry, pool),
      newId: (prefix) => `${prefix}_${randomUUID()}`,
      tasks: [
        {
          name: 'send-receipt',
          maxAttempts: 5,
          // at least once: a crash can repeat a run, so it must be safe to repeat
          async run(payload: { invoiceId: string }) {
            receipts.push(payload.invoiceId);
          },
        },
      ],
    });
    await runner.start(); // checks jobsMigrations, then runs tasks until stop()
    // docs:end runner
    t.after(() => runner.stop());

    // docs:start enqueue
    await withTransaction(pool, async (tx) => {
      await tx.query('UPDATE invoices SET paid = true WHERE id = $1', ['inv_1']);
      // the job exists if and only if this transaction commits; the key keeps one waiting job per invoice
      await enqueueJob(tx, 'send-receipt', { invoiceId: 'inv_1' }, { key: 'send-receipt:inv_1' });
    });
    // docs:end enqueue

    await eventually(() => receipts.length > 0);
    assert.deepEqual(receipts, ['inv_1']);
    await eventually(
      async () => (await pool.query('SELECT count(*)::int AS n FROM worker_heartbeats')).rows[0].n > 0,
    );
  });

  test('a task that keeps failing is retried, then dead-lettered; a permanent error goes at once', async (t) => {
    const runs = { flaky: 0, refused: 0 };
    const hooked: unknown[] = [];
    const { runner, registry } = runnerFor(db.pool, [
      {
        name: 'flaky',
        async run() {
          runs.flaky++;
          throw new Error('partner unreachable');
        },
        // in the dead letter's transaction: e.g. mark your own record failed
        async onDeadLetter(payload) {
          hooked.push(payload);
        },
      },
      {
        name: 'refused',
        async run() {
          runs.refused++;
          throw new PermanentJobError('the file is not a CSV');
        },
      },
    ]);
    await runner.start();
    t.after(() => runner.stop());
    await enqueueJob(db.pool, 'flaky', { tenantId: 'ten_1', fileId: 'f1' });
    await enqueueJob(db.pool, 'refused', { fileId: 'f2' });

    const [flaky] = await eventually(async () => {
      const letters = await deadLettersOf('flaky');
      return letters.length > 0 && letters;
    });
    assert.equal(runs.flaky, 3);
    assert.deepEqual(
      [flaky.attempts, flaky.errorCategory, flaky.errorMessage, flaky.tenantId, flaky.status],
      [3, 'exhausted', 'partner unreachable', 'ten_1', 'dead'],
    );
    assert.deepEqual(flaky.payload, { tenantId: 'ten_1', fileId: 'f1' });
    assert.deepEqual(hooked, [{ tenantId: 'ten_1', fileId: 'f1' }]);

    const [refused] = await eventually(async () => {
      const letters = await deadLettersOf('refused');
      return letters.length > 0 && letters;
    });
    assert.equal(runs.refused, 1);
    assert.deepEqual([refused.attempts, refused.errorCategory], [1, 'permanent']);

    assert.match(await registry.getSingleMetricAsString('steadfast_job_retries_total'), /task="flaky"\} 2/);
    assert.match(await registry.getSingleMetricAsString('steadfast_dead_letters_total'), /task="flaky"\} 1/);
  });

  test('a dead letter is replayed once: close it, then enqueue its payload again', async (t) => {
    let fixed = false;
    let done = 0;
    const { runner } = runnerFor(db.pool, [
      {
        name: 'import-file',
        async run() {
          if (!fixed) throw new PermanentJobError('missing column');
          done++;
        },
      },
    ]);
    await runner.start();
    t.after(() => runner.stop());
    await enqueueJob(db.pool, 'import-file', { fileId: 'f3' });
    const [letter] = await eventually(async () => {
      const letters = await deadLettersOf('import-file');
      return letters.length > 0 && letters;
    });

    fixed = true;
    const pool = db.pool;
    const id = letter.id;
    // docs:start replay
    // an operator's replay: close the letter and enqueue its job again, both or neither
    const replayed = await withTransaction(pool, async (tx) => {
      const closed = await closeDeadLetter(tx, id, 'replayed'); // undefined: not dead any more
      if (closed) await enqueueJob(tx, closed.task, closed.payload);
      return closed !== undefined;
    });
    // docs:end replay
    assert.equal(replayed, true);
    assert.equal(await closeDeadLetter(pool, id, 'replayed'), undefined, 'a second replay is refused');
    await eventually(() => done === 1);
    assert.equal((await deadLettersOf('import-file'))[0].status, 'replayed');
  });

  test('forgot the migration: start() fails, naming it', async () => {
    const empty = await createTestDatabase({ template: 'template0' });
    const { runner } = runnerFor(empty.pool, [{ name: 'noop', async run() {} }]);
    try {
      await assert.rejects(runner.start(), {
        name: 'MigrationError',
        message: /missing migration jobs\/0001_dead_letters_and_heartbeats.*jobsMigrations/,
      });
    } finally {
      await runner.stop();
      await empty.close();
    }
  });
});
