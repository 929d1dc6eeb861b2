/**
 * Two limiters (instances a and b) share a limit through one Postgres
 * database: hammered from both, a partition gets at most the documented bound
 * per window; used on one instance only, it still gets nearly its whole limit;
 * overrides come from the table; a failed sync is reported and the limiter
 * keeps answering. Syncs are driven by the test (syncIntervalMs: 0) on a
 * fake clock, so the interleaving is the same on every run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { createBackgroundErrors, createLogger } from '../observability/index.ts';
import { createPool, migrate } from '../postgres/index.ts';
import {
  createFakeClock,
  createLogCapture,
  createTestDatabase,
  type FakeClock,
  freePort,
  type TestDatabase,
} from '../testing/index.ts';
import { createRateLimiter, type RateLimiter } from './limiter.ts';
import { rateLimitMigrations } from './migrations.ts';
import { clearRateLimitOverride, listRateLimitOverrides, setRateLimitOverride } from './overrides.ts';
import { createPostgresRateLimitStore, type PostgresRateLimitStore } from './postgres-store.ts';

const LIMIT = 100;
const SYNC_MS = 100;
const STEP_MS = 10;

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...rateLimitMigrations]);
});
after(() => db?.close());

const quietErrors = () => createBackgroundErrors({ log: createLogger({ level: 'silent' }) });

function instance(clock: FakeClock, instanceId: string) {
  const store = createPostgresRateLimitStore({
    db: db.pool,
    instanceId,
    clock,
    errors: quietErrors(),
    syncIntervalMs: 0,
  });
  const limiter = createRateLimiter({ policies: { writes: { limit: LIMIT, windowS: 1 } }, clock, store });
  return { store, limiter };
}

interface Arm {
  limiter: RateLimiter;
  store: PostgresRateLimitStore;
  /** requests offered per step on this partition */
  perStep: number;
  /** sync at this step offset inside each interval */
  syncAt: number;
}

/** Offers load step by step for `windows` windows; returns admitted units per window (all arms together). */
async function drive(clock: FakeClock, arms: Arm[], partition: string, windows: number): Promise<number[]> {
  const admitted: number[] = [];
  const stepsPerSync = SYNC_MS / STEP_MS;
  const start = Math.ceil(clock.now() / 1000) * 1000;
  clock.set(start);
  for (let step = 0; clock.now() < start + windows * 1000; step++) {
    const syncing = arms.filter((a) => step % stepsPerSync === a.syncAt).map((a) => a.store.sync());
    await Promise.all(syncing); // arms with the same offset sync concurrently: their statements race
    const w = Math.floor((clock.now() - start) / 1000);
    for (const arm of arms) {
      for (let i = 0; i < arm.perStep; i++) {
        if (arm.limiter.take(partition, 'writes').allowed) admitted[w] = (admitted[w] ?? 0) + 1;
      }
    }
    clock.advance(STEP_MS);
  }
  return admitted;
}

describe('Postgres rate limit store: two instances share one limit', () => {
  for (const [name, syncB] of [
    ['staggered syncs', 5],
    ['simultaneous syncs', 0],
  ] as const) {
    test(`hammered from both (${name}): at most 1.1 × limit per window, and most of it`, async (t) => {
      const clock = createFakeClock();
      const a = instance(clock, `a-${name}`);
      const b = instance(clock, `b-${name}`);
      await a.store.start();
      await b.store.start();
      const partition = `hammered-${syncB}`;
      const perWindow = await drive(
        clock,
        [
          { ...a, perStep: 20, syncAt: 0 },
          { ...b, perStep: 20, syncAt: syncB },
        ],
        partition,
        4,
      );
      await a.limiter.close();
      await b.limiter.close();
      t.diagnostic(`admitted per window (limit ${LIMIT}): ${perWindow.join(', ')}`);
      assert.equal(perWindow.length, 4);
      for (const [w, n] of perWindow.entries()) {
        assert.ok(n <= 1.1 * LIMIT, `window ${w}: ${n} admitted > 1.1 × ${LIMIT} (${perWindow})`);
        assert.ok(n >= 0.85 * LIMIT, `window ${w}: only ${n} admitted (${perWindow})`);
      }
    });
  }

  test('a partition used on one instance only still gets nearly its whole limit', async (t) => {
    const clock = createFakeClock();
    const a = instance(clock, 'a-solo');
    const b = instance(clock, 'b-solo');
    await a.store.start();
    await b.store.start();
    const perWindow = await drive(
      clock,
      [
        { ...a, perStep: 20, syncAt: 0 },
        { ...b, perStep: 0, syncAt: 5 }, // active (it syncs) but sends nothing on this partition
      ],
      'solo',
      3,
    );
    await a.limiter.close();
    await b.limiter.close();
    t.diagnostic(`admitted per window (limit ${LIMIT}): ${perWindow.join(', ')}`);
    for (const [w, n] of perWindow.entries()) {
      assert.ok(n <= LIMIT, `window ${w}: ${n}`);
      assert.ok(n >= 0.9 * LIMIT, `window ${w}: only ${n} of ${LIMIT} (${perWindow})`);
    }
  });

  test('overrides are read from the table; unknown classes and bad limits are refused', async () => {
    const clock = createFakeClock();
    const a = instance(clock, 'a-overrides');
    await setRateLimitOverride(db.pool, { partition: 'vip', className: 'writes', limit: 5, windowS: 1 }, [
      'writes',
    ]);
    await assert.rejects(
      setRateLimitOverride(db.pool, { partition: 'vip', className: 'deletes', limit: 5, windowS: 1 }, [
        'writes',
        'reads',
      ]),
      /unknown class "deletes" \(known: writes, reads\)/,
    );
    await assert.rejects(
      setRateLimitOverride(db.pool, { partition: 'vip', className: 'writes', limit: 0, windowS: 1 }, [
        'writes',
      ]),
      /"writes": limit must be a positive integer, got 0/,
    );
    assert.deepEqual(await listRateLimitOverrides(db.pool, { partition: 'vip' }), [
      { partition: 'vip', className: 'writes', limit: 5, windowS: 1 },
    ]);
    await a.store.start(); // loads the overrides and syncs once
    clock.set(Math.ceil(clock.now() / 1000) * 1000);
    const decision = a.limiter.take('vip', 'writes');
    assert.equal(decision.limit, 5);
    assert.equal(a.limiter.take('other', 'writes').limit, LIMIT);
    assert.equal(await clearRateLimitOverride(db.pool, { partition: 'vip', className: 'writes' }), true);
    assert.equal(await clearRateLimitOverride(db.pool, { partition: 'vip', className: 'writes' }), false);
    await a.limiter.close();
  });

  test('the sync deletes windows long over', async () => {
    const clock = createFakeClock();
    const a = instance(clock, 'a-cleanup');
    await a.store.start();
    a.limiter.take('old', 'writes');
    await a.store.sync();
    const rows = async () =>
      (await db.pool.query(`SELECT count(*)::int AS n FROM rate_limit_counts WHERE partition = 'old'`))
        .rows[0].n;
    assert.equal(await rows(), 1);
    clock.advance(3_600_000);
    a.limiter.take('new', 'writes'); // keeps the instance busy; 'old' is an hour over
    await a.store.sync();
    assert.equal(await rows(), 0);
    await a.limiter.close();
  });
});

describe('Postgres rate limit store: a failing database', () => {
  test('a failed sync is logged and counted; the limiter keeps answering from its last counts', async () => {
    const clock = createFakeClock();
    const logs = createLogCapture();
    const registry = new Registry();
    const errors = createBackgroundErrors({ log: createLogger({ destination: logs.stream }), registry });
    // a real pool pointed at a port nobody listens on: every query fails to connect
    const down = createPool({ connectionString: `postgres://x@127.0.0.1:${await freePort()}/x`, max: 1 });
    const store = createPostgresRateLimitStore({
      db: down,
      instanceId: 'a-down',
      clock,
      errors,
      syncIntervalMs: 0,
    });
    const limiter = createRateLimiter({ policies: { writes: { limit: 10, windowS: 1 } }, clock, store });
    try {
      await store.start(); // unreachable: reported, not thrown (a web process starts during an outage)
      clock.set(Math.ceil(clock.now() / 1000) * 1000);
      let admitted = 0;
      for (let step = 0; step < 10; step++) {
        await store.sync();
        for (let i = 0; i < 5; i++) if (limiter.take('t1', 'writes').allowed) admitted++;
        clock.advance(SYNC_MS);
      }
      assert.ok(admitted >= 9 && admitted <= 10, `admitted ${admitted} of 10`);
      const reported = logs.lines().filter((l) => l.component === 'rate-limit-sync');
      assert.ok(reported.length >= 10, `${reported.length} sync failures logged`);
      assert.equal(reported[0].level, 40);
      assert.match(
        await registry.getSingleMetricAsString('steadfast_background_errors_total'),
        /component="rate-limit-sync"\} (1[0-9]|[2-9][0-9])/,
      );
    } finally {
      await limiter.close();
      await down.end();
    }
  });

  test('a reachable database without the migration fails the start, naming it', async () => {
    const empty = await createTestDatabase({ template: 'template0' });
    try {
      const clock = createFakeClock();
      const store = createPostgresRateLimitStore({
        db: empty.pool,
        instanceId: 'a-unmigrated',
        clock,
        errors: quietErrors(),
        syncIntervalMs: 0,
      });
      createRateLimiter({ policies: { writes: { limit: 10, windowS: 1 } }, clock, store });
      await assert.rejects(
        store.start(),
        /missing migration rate-limits\/0001_rate_limits.*rateLimitMigrations/,
      );
    } finally {
      await empty.close();
    }
  });
});
