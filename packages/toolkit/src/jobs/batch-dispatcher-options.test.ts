/**
 * The batch dispatcher's options: the table and error column must be plain
 * identifiers, a batch is 50 rows by default (or `batchSize`), the poll waits
 * 200 ms by default after a short batch, and `start()` checks `requires`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { outboxMigrations } from '../outbox/index.ts';
import { migrate, type Queryable } from '../postgres/index.ts';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { type BatchDispatcherOptions, createBatchDispatcher } from './batch-dispatcher.ts';
import { jobsMigrations } from './migrations.ts';

type Item = { id: string; attempts: number };

describe('batch dispatcher options', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ template: 'template0' });
    await migrate(db.pool, outboxMigrations);
  });
  after(() => db.close());

  function dispatcherWith(options: Partial<BatchDispatcherOptions<Item, void>> = {}) {
    return createBatchDispatcher<Item, void>({
      db: db.pool,
      errors: { report: () => {} },
      name: 'test-queue',
      table: 'outbox',
      claimable: `status = 'pending'`,
      columns: 'id, attempts',
      errorColumn: 'last_error',
      toItem: (row) => ({ id: row.id as string, attempts: row.attempts as number }),
      handle: async () => undefined,
      complete: async (q, done) => {
        await q.query(`UPDATE outbox SET status = 'delivered' WHERE id = ANY($1)`, [
          done.map((d) => d.item.id),
        ]);
      },
      exhausted: async () => {},
      ...options,
    });
  }

  test('a table or error column that is not a plain identifier is refused', () => {
    const refused = {
      message: 'batch dispatcher test-queue: table and errorColumn must be plain identifiers',
    };
    for (const bad of ['outbox; drop table users', 'Outbox', '1outbox', 'outbox x'])
      assert.throws(() => dispatcherWith({ table: bad }), refused, bad);
    for (const bad of ['last_error = null, status', 'lastError'])
      assert.throws(() => dispatcherWith({ errorColumn: bad }), refused, bad);
    assert.doesNotThrow(() => dispatcherWith({ table: '_outbox_2', errorColumn: 'last_error' }));
  });

  test('a batch claims 50 rows by default, or batchSize', async () => {
    await db.pool.query('TRUNCATE outbox');
    await db.pool.query(
      `INSERT INTO outbox (id, tenant_id, type, payload)
       SELECT 'evt_' || lpad(i::text, 3, '0'), 't', 'x', '{}' FROM generate_series(1, 53) i`,
    );
    assert.equal(await dispatcherWith({ batchSize: 2 }).runOnce(), 2);
    assert.equal(await dispatcherWith().runOnce(), 50);
    assert.equal(await dispatcherWith().runOnce(), 1);
  });

  test('after a short batch the poll waits 200 ms by default', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let claims = 0;
    const idle: Queryable = {
      query: (async () => {
        claims++;
        return { rows: [] };
      }) as unknown as Queryable['query'],
    };
    const dispatcher = dispatcherWith({ db: idle });
    await dispatcher.start();
    t.after(() => dispatcher.stop());
    assert.equal(claims, 1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    t.mock.timers.tick(199);
    assert.equal(claims, 1);
    t.mock.timers.tick(1);
    assert.equal(claims, 2);
  });

  test('start() checks the migrations it requires, naming their export', async () => {
    const missing = dispatcherWith({
      requires: { migrations: jobsMigrations, exportName: 'jobsMigrations' },
    });
    await assert.rejects(missing.start(), {
      name: 'MigrationError',
      message: /missing migration jobs\/0001_dead_letters_and_heartbeats.*jobsMigrations/,
    });
    await missing.stop();
    const present = dispatcherWith({
      requires: { migrations: outboxMigrations, exportName: 'outboxMigrations' },
    });
    await present.start();
    await present.stop();
  });
});
