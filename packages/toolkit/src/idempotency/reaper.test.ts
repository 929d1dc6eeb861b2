/** startKeyReaper: what it deletes, what it counts, and the name its failures are reported under. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { migrate } from '../postgres/index.ts';
import { createTestDatabase, eventually, metricValues, type TestDatabase } from '../testing/index.ts';
import { createIdempotencyMetrics } from './metrics.ts';
import { idempotencyMigrations } from './migrations.ts';
import { startKeyReaper } from './reaper.ts';

describe('startKeyReaper', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ template: 'template0' });
    await migrate(db.pool, [...idempotencyMigrations]);
  });
  after(() => db?.close());

  /** keys named by how they expire: `expired-*` a minute ago, `live-*` in an hour */
  async function keys(expired: number, live: number) {
    await db.pool.query('TRUNCATE idempotency_keys');
    await db.pool.query(
      `INSERT INTO idempotency_keys (tenant_id, method, route, key, fingerprint, state, expires_at)
       SELECT 't', 'POST', '/notes', CASE WHEN g <= $1::int THEN 'expired-' ELSE 'live-' END || g, '\\x00',
         'completed', CASE WHEN g <= $1::int THEN now() - interval '1 minute' ELSE now() + interval '1 hour' END
       FROM generate_series(1, $1::int + $2::int) g`,
      [expired, live],
    );
  }
  const left = async () =>
    (await db.pool.query<{ key: string }>('SELECT key FROM idempotency_keys ORDER BY key')).rows.map(
      (r) => r.key,
    );

  test('runOnce deletes the expired keys only, returns how many, and counts them', async (t) => {
    const registry = new Registry();
    const { reaped } = createIdempotencyMetrics(registry);
    const reaper = startKeyReaper({
      db: db.pool,
      errors: { report: (_name, error) => assert.fail(error as Error) },
      intervalMs: 3_600_000,
      counter: reaped,
    });
    t.after(() => reaper.stop());
    await keys(3, 2);
    assert.equal(await reaper.runOnce(), 3);
    assert.deepEqual(await left(), ['live-4', 'live-5']);
    assert.deepEqual(await metricValues(registry, 'steadfast_idempotency_reaped_total'), [
      { labels: {}, value: 3 },
    ]);
    assert.equal(await reaper.runOnce(), 0, 'nothing left to reap');
    await keys(1, 0);
    assert.equal(await reaper.runOnce(), 1);
    assert.deepEqual(await metricValues(registry, 'steadfast_idempotency_reaped_total'), [
      { labels: {}, value: 4 },
    ]);
  });

  test('without a counter it still reaps', async (t) => {
    const reaper = startKeyReaper({
      db: db.pool,
      errors: { report: (_name, error) => assert.fail(error as Error) },
      intervalMs: 3_600_000,
    });
    t.after(() => reaper.stop());
    await keys(2, 1);
    assert.equal(await reaper.runOnce(), 2);
    assert.deepEqual(await left(), ['live-3']);
  });

  test('it runs on its interval, and a failing run is reported as idempotency-key-reaper', async (t) => {
    const reported: [string, string][] = [];
    let statements = 0;
    const down = {
      query: async () => {
        statements++;
        throw new Error('database down');
      },
    };
    const reaper = startKeyReaper({
      db: down as never,
      errors: { report: (name, error) => reported.push([name, (error as Error).message]) },
      intervalMs: 5,
    });
    t.after(() => reaper.stop());
    await eventually(() => reported.length >= 2);
    reaper.stop();
    assert.deepEqual(reported.slice(0, 2), [
      ['idempotency-key-reaper', 'database down'],
      ['idempotency-key-reaper', 'database down'],
    ]);
    assert.ok(statements >= 2, 'each run tried the delete');
  });
});
