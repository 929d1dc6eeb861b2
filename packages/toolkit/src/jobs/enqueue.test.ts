/**
 * What enqueueJob writes into graphile-worker's queue: the payload as given
 * (with `__key` when a key is given), the job key, the run time when one is
 * given (else now), the crash re-runs as max_attempts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { enqueueJob } from './enqueue.ts';
import { migrateJobs } from './runner.ts';

describe('enqueueJob', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase();
    await migrateJobs(db.pool);
  });
  after(() => db.close());

  const stored = async (task: string) =>
    (
      await db.pool.query(
        `SELECT j.key, j.payload, j.run_at <= now() AS due, j.run_at, j.max_attempts
           FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
          WHERE t.identifier = $1`,
        [task],
      )
    ).rows;

  test('with a key and a run time: both stored, the key kept in the payload as __key', async () => {
    await enqueueJob(
      db.pool,
      'send-receipt',
      { invoiceId: 'inv_1' },
      { key: 'receipt:inv_1', runAt: new Date('2031-05-01T12:00:00.000Z'), traceparent: null },
    );
    const [job] = await stored('send-receipt');
    assert.deepEqual(
      [job.key, job.payload, job.due, job.run_at.toISOString(), job.max_attempts],
      [
        'receipt:inv_1',
        { invoiceId: 'inv_1', __key: 'receipt:inv_1' },
        false,
        '2031-05-01T12:00:00.000Z',
        25,
      ],
    );
  });

  test('without options: no key, the payload as given, due now', async () => {
    await enqueueJob(db.pool, 'reap', { older: 'P1D' });
    const [job] = await stored('reap');
    assert.deepEqual([job.key, job.payload, job.due], [null, { older: 'P1D' }, true]);
  });
});
