/** The shared batch dispatcher reports what fails off the request path instead of dropping it. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BackgroundErrors } from '../observability/index.ts';
import { outboxMigrations } from '../outbox/index.ts';
import { createPool, migrate } from '../postgres/index.ts';
import { createTestDatabase, eventually, type TestDatabase } from '../testing/index.ts';
import { createBatchDispatcher } from './batch-dispatcher.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, outboxMigrations);
});
after(() => db.close());

function recording(): BackgroundErrors & { seen: { component: string; message: string }[] } {
  const seen: { component: string; message: string }[] = [];
  return {
    seen,
    report: (component, error) => void seen.push({ component, message: (error as Error).message }),
  };
}

function dispatcherOn(
  pool: Parameters<typeof createBatchDispatcher>[0]['db'],
  errors: BackgroundErrors,
  toItem = (row: Record<string, unknown>) => ({ id: row.id as string, attempts: row.attempts as number }),
) {
  return createBatchDispatcher({
    db: pool,
    errors,
    name: 'test-queue',
    table: 'outbox',
    claimable: `status = 'pending'`,
    columns: 'id, attempts',
    errorColumn: 'last_error',
    toItem,
    handle: async () => undefined,
    complete: async (q, done) => {
      await q.query(`UPDATE outbox SET status = 'delivered' WHERE id = ANY($1)`, [
        done.map((d) => d.item.id),
      ]);
    },
    exhausted: async () => {},
    idleMs: 5,
  });
}

test('a database that fails under the poll loop is reported with the dispatcher name, and the loop goes on', async () => {
  const down = createPool({ connectionString: 'postgres://nobody:x@127.0.0.1:1/none', onError: () => {} });
  const errors = recording();
  const dispatcher = dispatcherOn(down, errors);
  await dispatcher.start();
  try {
    await eventually(() => errors.seen.length >= 2, { message: 'two failed polls reported' });
    assert.equal(errors.seen[0].component, 'test-queue');
    assert.match(errors.seen[0].message, /ECONNREFUSED|connect/);
  } finally {
    await dispatcher.stop();
    await down.end();
  }
});

test('a row that cannot be read is reported; the rest of its batch is still completed', async () => {
  await db.pool.query(
    `INSERT INTO outbox (id, tenant_id, type, payload) VALUES ('evt_good', 't', 'x', '{}'), ('evt_bad', 't', 'x', '{}')`,
  );
  const errors = recording();
  const dispatcher = dispatcherOn(db.pool, errors, (row) => {
    if (row.id === 'evt_bad') throw new Error('unreadable row');
    return { id: row.id as string, attempts: row.attempts as number };
  });
  assert.equal(await dispatcher.runOnce(), 2);
  const { rows } = await db.pool.query('SELECT id, status FROM outbox ORDER BY id');
  assert.deepEqual(rows, [
    { id: 'evt_bad', status: 'pending' },
    { id: 'evt_good', status: 'delivered' },
  ]);
  assert.deepEqual(errors.seen, [{ component: 'test-queue', message: 'unreadable row' }]);
});
