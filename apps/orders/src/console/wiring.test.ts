/** The worker's clean-up of console state: history past its retention and expired sessions go, the rest stays. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildTestApp, type TestApp } from '../testing.ts';
import { createConsoleSessions } from './sessions.ts';
import { reapConsoleState } from './wiring.ts';

let app: TestApp;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

test('reapConsoleState: minutes older than the retention and expired sessions are deleted, fresh ones kept', async () => {
  const db = app.db.pool;
  const now = Date.now();
  await db.query(
    `INSERT INTO egress_minutes (minute, instance_id, dependency, counts, stale, latency_buckets, updated_at) VALUES
       (to_timestamp($1 / 1000.0), 'web-1', 'pricing', '{1}', 0, '{1}', now()),
       (to_timestamp($2 / 1000.0), 'web-1', 'pricing', '{1}', 0, '{1}', now())`,
    [now - 8 * 86_400_000, now - 60_000],
  );
  const sessions = createConsoleSessions({ db, clock: { now: () => now - 3600_000 }, ttlMs: 60_000 });
  const { rows: keys } = await db.query('SELECT id FROM api_keys WHERE operator_id = $1', [app.operatorId]);
  await sessions.open(app.operatorId, keys[0].id); // expired an hour ago
  const live = createConsoleSessions({ db, clock: { now: () => now } });
  await live.open(app.operatorId, keys[0].id);

  const reaped = await reapConsoleState(db, { historyRetentionS: 7 * 86_400, now });
  assert.deepEqual(reaped.sessions, 1);
  assert.ok(reaped.history >= 1);
  const minutes = await db.query('SELECT count(*)::int AS n FROM egress_minutes');
  assert.equal(minutes.rows[0].n, 1, 'the minute from a minute ago is kept');
  const left = await db.query('SELECT count(*)::int AS n FROM console_sessions');
  assert.equal(left.rows[0].n, 1, 'the live session is kept');
});
