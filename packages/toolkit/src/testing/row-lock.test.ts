/**
 * holdRowLock on a real database: the row is locked (another connection's
 * `FOR UPDATE NOWAIT` fails with 55P03) until release(), which rolls the write
 * back and gives the client back to its pool; waiters(n) sees statements
 * queued behind the lock.
 */
import assert from 'node:assert/strict';
import { after, before, type TestContext, test } from 'node:test';
import { createPool, type Pool } from '../postgres/index.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { holdRowLock } from './row-lock.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0', poolMax: 2 });
  await db.pool.query('CREATE TABLE slots (id int PRIMARY KEY, n int NOT NULL)');
  await db.pool.query('INSERT INTO slots VALUES (1, 0), (2, 0), (3, 0), (4, 0)');
});
after(() => db.close());

/** a pool of one client: a client not given back makes its next query time out */
function onePool(t: TestContext): Pool {
  const pool = createPool({ connectionString: db.url, max: 1 });
  t.after(() => pool.end());
  return pool;
}

/** another connection's try to lock the row; rejects with 55P03 while it is held */
async function tryLock(id: number) {
  const { rows } = await db.pool.query('SELECT id FROM slots WHERE id = $1 FOR UPDATE NOWAIT', [id]);
  return rows;
}

async function n(id: number) {
  return (await db.pool.query('SELECT n FROM slots WHERE id = $1', [id])).rows[0].n;
}

test('the row stays locked until release, which rolls the write back and gives the client back', async (t) => {
  const pool = onePool(t);
  const lock = await holdRowLock(pool, 'UPDATE slots SET n = n + 1 WHERE id = $1', [1]);
  await assert.rejects(tryLock(1), { code: '55P03' });
  assert.deepEqual(await tryLock(2), [{ id: 2 }]);
  await lock.release();
  assert.deepEqual(await tryLock(1), [{ id: 1 }]);
  assert.equal(await n(1), 0);
  await lock.release(); // a second release is a no-op
  assert.deepEqual((await pool.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
});

test('without values the statement runs as written', async (t) => {
  const lock = await holdRowLock(onePool(t), 'UPDATE slots SET n = 7 WHERE id = 2');
  await assert.rejects(tryLock(2), { code: '55P03' });
  await lock.release();
  assert.equal(await n(2), 0);
});

test('waiters(n) resolves once n statements wait on the lock; release lets them go', async (t) => {
  const lock = await holdRowLock(db.pool, 'SELECT id FROM slots WHERE id = $1 FOR UPDATE', [3]);
  await lock.waiters(0);
  const blocked = onePool(t).query('UPDATE slots SET n = n + 10 WHERE id = 3');
  await lock.waiters(1);
  await lock.release();
  await blocked;
  assert.equal(await n(3), 10);
});

test('waiters(n) fails with a message when the count is not reached by the deadline', async (t) => {
  const lock = await holdRowLock(db.pool, 'SELECT id FROM slots WHERE id = $1 FOR UPDATE', [4]);
  t.after(() => lock.release());
  t.mock.timers.enable({ apis: ['Date'], now: 0 });
  const waiting = lock.waiters(1);
  t.mock.timers.tick(5001); // past the deadline before the first look at pg_stat_activity returns
  await assert.rejects(waiting, { message: '1 statement(s) waiting on a lock' });
});

test('a statement that fails rejects with its error and leaves the pool usable', async (t) => {
  const pool = onePool(t);
  await assert.rejects(holdRowLock(pool, 'UPDATE nowhere SET n = 1'), { code: '42P01' });
  // the client that failed inside its transaction is discarded, not pooled: the next
  // query runs outside any transaction (a pooled one would get 25P02)
  assert.deepEqual((await pool.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
});
