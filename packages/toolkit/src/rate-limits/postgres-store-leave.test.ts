/**
 * Leaving on a real database: a closed instance's row in
 * `rate_limit_instances` is gone at once, so the others count one instance
 * fewer (and their shares grow) at their next sync, not activeWithinS later.
 * A store that never started leaves no trace to delete and sends nothing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migrate } from '../postgres/index.ts';
import { createFakeClock, createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { rateLimitMigrations } from './migrations.ts';
import { createPostgresRateLimitStore } from './postgres-store.ts';
import { fakeClient, recordingErrors, snap } from './store-harness.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...rateLimitMigrations]);
});
after(() => db?.close());

function instance(id: string) {
  const errors = recordingErrors();
  // the real clock's now: the statement compares seen_at with the database's now()
  const clock = createFakeClock(Date.now());
  const store = createPostgresRateLimitStore({
    db: db.pool,
    instanceId: id,
    clock,
    errors,
    syncIntervalMs: 0,
  });
  const limiter = fakeClient(() => [
    snap({ partition: 'shared', windowStartMs: Math.floor(clock.now() / 1000) * 1000 }),
  ]);
  store.attach(limiter.client, ['writes']);
  const lastActive = () => limiter.of('apply').at(-1)?.result.activeInstances;
  return { store, errors, lastActive };
}

const instances = async () =>
  (
    await db.pool.query<{ instance: string }>('SELECT instance FROM rate_limit_instances ORDER BY instance')
  ).rows.map((r) => r.instance);

test('a closed instance leaves at once: the others count one fewer at their next sync', async () => {
  const a = instance('leave-a');
  const b = instance('leave-b');
  await a.store.start();
  await b.store.start();
  await a.store.sync();
  assert.equal(a.lastActive(), 2);
  assert.deepEqual(await instances(), ['leave-a', 'leave-b']);
  await b.store.close();
  assert.deepEqual(await instances(), ['leave-a']);
  await a.store.sync();
  assert.equal(a.lastActive(), 1);
  await a.store.close();
  assert.deepEqual(await instances(), []);
  assert.deepEqual([...a.errors.seen, ...b.errors.seen], []);
});

test('closing a store that never started touches nothing', async () => {
  const c = instance('never-started');
  await db.pool.query(`INSERT INTO rate_limit_instances (instance, seen_at) VALUES ('never-started', now())`);
  await c.store.close();
  assert.deepEqual(await instances(), ['never-started']);
  await db.pool.query('DELETE FROM rate_limit_instances');
});
