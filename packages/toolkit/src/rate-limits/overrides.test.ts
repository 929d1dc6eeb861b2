/**
 * Per-partition overrides in a real database: a partition that is not a
 * non-empty string is refused before anything is stored, a partition filter
 * lists that partition only, and loading skips classes the limiter does not know.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migrate } from '../postgres/index.ts';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { rateLimitMigrations } from './migrations.ts';
import {
  listRateLimitOverrides,
  loadRateLimitOverrides,
  type RateLimitOverride,
  setRateLimitOverride,
} from './overrides.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...rateLimitMigrations]);
});
after(() => db?.close());

const known = ['writes', 'reads', 'legacy'];
const set = (o: RateLimitOverride, classes = known) => setRateLimitOverride(db.pool, o, classes);

test('a partition that is not a non-empty string is refused, and nothing is stored', async () => {
  const message = /^Error: rate limit override: partition must be a non-empty string$/;
  for (const partition of ['', 42, undefined]) {
    await assert.rejects(
      set({ partition: partition as string, className: 'writes', limit: 5, windowS: 1 }),
      (error: Error) => message.test(String(error)),
      `partition ${JSON.stringify(partition)}`,
    );
  }
  const stored = await db.pool.query(
    `SELECT count(*)::int AS n FROM rate_limit_overrides WHERE partition IN ('', '42')`,
  );
  assert.equal(stored.rows[0].n, 0);
});

test('a partition filter lists that partition only; no filter lists all, by partition then class', async () => {
  await set({ partition: 'list-b', className: 'writes', limit: 7, windowS: 2 });
  await set({ partition: 'list-a', className: 'writes', limit: 5, windowS: 1 });
  await set({ partition: 'list-a', className: 'reads', limit: 50, windowS: 1 });
  assert.deepEqual(await listRateLimitOverrides(db.pool, { partition: 'list-b' }), [
    { partition: 'list-b', className: 'writes', limit: 7, windowS: 2 },
  ]);
  const all = (await listRateLimitOverrides(db.pool)).filter((o) => o.partition.startsWith('list-'));
  assert.deepEqual(all, [
    { partition: 'list-a', className: 'reads', limit: 50, windowS: 1 },
    { partition: 'list-a', className: 'writes', limit: 5, windowS: 1 },
    { partition: 'list-b', className: 'writes', limit: 7, windowS: 2 },
  ]);
});

test('loading skips classes the limiter does not know (and partitions left with none)', async () => {
  await set({ partition: 'load-a', className: 'writes', limit: 9, windowS: 3 });
  await set({ partition: 'load-a', className: 'legacy', limit: 1, windowS: 1 });
  await set({ partition: 'load-b', className: 'legacy', limit: 2, windowS: 1 });
  const loaded = await loadRateLimitOverrides(db.pool, ['writes']);
  assert.deepEqual(loaded.get('load-a'), { writes: { limit: 9, windowS: 3 } });
  assert.equal(loaded.has('load-b'), false);
});
