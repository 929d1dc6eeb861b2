/** The usage recorder's edges on real Postgres: what a failed flush reports and keeps, the default bound, start() (twice, unreachable), the flush timer (default and custom interval, one flush at a time) and stop(). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BackgroundErrors } from '../observability/index.ts';
import { migrate, type Queryable } from '../postgres/index.ts';
import { createFakeClock, createTestDatabase, eventually, type TestDatabase } from '../testing/index.ts';
import { versioningMigrations } from './migrations.ts';
import { createVersionUsage, readVersionUsage } from './usage-recorder.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...versioningMigrations]);
});
after(() => db?.close());

/** every report: component, message and the context given */
function reporter(): BackgroundErrors & { seen: unknown[][] } {
  const seen: unknown[][] = [];
  return {
    seen,
    report: (component, error, context) =>
      seen.push(
        context === undefined
          ? [component, (error as Error).message]
          : [component, (error as Error).message, context],
      ),
  };
}

/** the real pool, recording each flush's rows (`partition version requests`) when it is sent; `gate` holds flushes back */
function recording(gate?: Promise<void>) {
  const batches: string[][] = [];
  let checks = 0;
  let written = 0;
  const queryable: Queryable = {
    query: (async (text: string, values?: unknown[][]) => {
      if (!text.includes('INSERT INTO api_version_usage')) {
        checks++;
        return db.pool.query(text, values);
      }
      const [partitions, versions, requests] = values as [string[], string[], number[]];
      batches.push(partitions.map((p, i) => `${p} ${versions[i]} ${requests[i]}`));
      await gate;
      const result = await db.pool.query(text, values);
      written++;
      return result;
    }) as Queryable['query'],
  };
  return { queryable, batches, checks: () => checks, written: () => written };
}

const failing = (record?: () => void): Queryable => ({
  query: (() => {
    record?.();
    return Promise.reject(new Error('connection lost'));
  }) as Queryable['query'],
});

/** lets a flush the timer started reach its database call (a turn of the event loop, not a wait for time) */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('a failed flush', () => {
  test('is reported with the number of entries it tried to write, and returns false', async () => {
    const errors = reporter();
    const usage = createVersionUsage({ db: failing(), errors });
    usage.record('f1', '2026-06-01');
    usage.record('f2', '2026-06-01');
    usage.record('f1', '2026-06-01');
    assert.equal(await usage.flush(), false);
    assert.deepEqual(errors.seen, [['api-version-usage', 'connection lost', { entries: 2 }]]);
  });

  test('keeps what it could not write beside what arrived meanwhile, dropping (and counting) beyond maxEntries', async () => {
    const errors = reporter();
    let down = true;
    const flaky: Queryable = {
      query: ((text: string, values?: unknown[]) => {
        if (!down) return db.pool.query(text, values);
        usage.record('late', '2026-06-01'); // arrives while the write is in flight: takes the only place
        return Promise.reject(new Error('connection lost'));
      }) as Queryable['query'],
    };
    const usage = createVersionUsage({ db: flaky, errors, maxEntries: 1 });
    for (let i = 0; i < 3; i++) usage.record('early', '2026-06-01');
    assert.equal(await usage.flush(), false);
    down = false;
    assert.equal(await usage.flush(), true);
    assert.equal(await usage.flush(), true, 'the drop is reported once');
    assert.deepEqual(errors.seen, [
      ['api-version-usage', 'connection lost', { entries: 1 }],
      ['api-version-usage', 'dropped 3 counts: more than 1 entries waiting'],
    ]);
    const rows = await readVersionUsage(db.pool);
    assert.deepEqual(
      rows
        .filter((r) => r.partition === 'late' || r.partition === 'early')
        .map((r) => [r.partition, r.requests]),
      [['late', 1]],
    );
  });

  test('by default 100 000 pairs wait in memory; the next new one is dropped', async () => {
    const errors = reporter();
    const usage = createVersionUsage({ db: failing(), errors });
    for (let i = 0; i <= 100_000; i++) usage.record(`p${i}`, '2026-06-01');
    usage.record('p0', '2026-06-01');
    assert.equal(await usage.flush(), false);
    assert.deepEqual(errors.seen, [
      ['api-version-usage', 'dropped 1 counts: more than 100000 entries waiting'],
      ['api-version-usage', 'connection lost', { entries: 100_000 }],
    ]);
  });
});

describe('first and last seen', () => {
  test('within one flush, and across a failed one: the earliest first, the latest last', async () => {
    let down = true;
    const flaky: Queryable = {
      query: ((text: string, values?: unknown[]) =>
        down
          ? Promise.reject(new Error('connection lost'))
          : db.pool.query(text, values)) as Queryable['query'],
    };
    const clock = createFakeClock(Date.UTC(2027, 0, 1));
    const usage = createVersionUsage({ db: flaky, errors: reporter(), clock });
    usage.record('seen', '2026-06-01');
    clock.advance(60_000);
    usage.record('seen', '2026-06-01');
    assert.equal(await usage.flush(), false);
    clock.advance(60_000);
    usage.record('seen', '2026-06-01');
    down = false;
    assert.equal(await usage.flush(), true);
    const rows = await readVersionUsage(db.pool, { partition: 'seen' });
    assert.deepEqual(
      rows.map((r) => [r.requests, r.firstSeenAt, r.lastSeenAt]),
      [[3, '2027-01-01T00:00:00.000Z', '2027-01-01T00:02:00.000Z']],
    );
  });

  test('the latest of one batch is its last seen', async () => {
    const clock = createFakeClock(Date.UTC(2027, 1, 1));
    const usage = createVersionUsage({ db: db.pool, errors: reporter(), clock });
    usage.record('batch', '2026-06-01');
    clock.advance(30_000);
    usage.record('batch', '2026-06-01');
    assert.equal(await usage.flush(), true);
    const rows = await readVersionUsage(db.pool, { partition: 'batch' });
    assert.deepEqual(
      rows.map((r) => [r.requests, r.firstSeenAt, r.lastSeenAt]),
      [[2, '2027-02-01T00:00:00.000Z', '2027-02-01T00:00:30.000Z']],
    );
  });
});

describe('start and stop', () => {
  test('start() checks the migration once, a second start() does nothing; stop() writes what is left', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const errors = reporter();
    const db = recording();
    const usage = createVersionUsage({ db: db.queryable, errors });
    await usage.start();
    const checks = db.checks();
    assert.ok(checks > 0);
    await usage.start();
    assert.equal(db.checks(), checks);
    usage.record('stop1', '2026-06-01');
    await usage.stop();
    assert.deepEqual(db.batches, [['stop1 2026-06-01 1']]);
    assert.deepEqual(errors.seen, []);
    usage.record('stop2', '2026-06-01');
    t.mock.timers.tick(60_000);
    await settled();
    assert.deepEqual(db.batches, [['stop1 2026-06-01 1']], 'no timer after stop()');
    await usage.start();
    assert.equal(db.checks(), checks * 2, 'started again after stop()');
    await usage.stop();
    assert.deepEqual(db.batches, [['stop1 2026-06-01 1'], ['stop2 2026-06-01 1']]);
  });

  test('a database that does not answer at start is reported, and the recorder still starts', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const errors = reporter();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const usage = createVersionUsage({
      db: { query: (() => Promise.reject(refused)) as Queryable['query'] },
      errors,
    });
    await usage.start();
    assert.deepEqual(errors.seen, [
      ['api-version-usage', 'the database did not answer the migration check at start'],
    ]);
    await usage.stop();
  });
});

describe('the flush timer', () => {
  test('by default every 10 000 ms', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const db = recording();
    const usage = createVersionUsage({ db: db.queryable, errors: reporter() });
    await usage.start();
    usage.record('d1', '2026-06-01');
    t.mock.timers.tick(9_999);
    await settled();
    usage.record('d2', '2026-06-01');
    t.mock.timers.tick(1);
    await settled();
    assert.deepEqual(db.batches, [['d1 2026-06-01 1', 'd2 2026-06-01 1']]);
    await usage.stop();
  });

  test('flushIntervalMs sets it', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const db = recording();
    const usage = createVersionUsage({ db: db.queryable, errors: reporter(), flushIntervalMs: 60_000 });
    await usage.start();
    usage.record('i1', '2026-06-01');
    t.mock.timers.tick(59_999);
    await settled();
    usage.record('i2', '2026-06-01');
    t.mock.timers.tick(1);
    await settled();
    assert.deepEqual(db.batches, [['i1 2026-06-01 1', 'i2 2026-06-01 1']]);
    await usage.stop();
  });

  test('a tick while a flush is in flight starts no second one', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    let open = () => {};
    const db = recording(new Promise<void>((resolve) => (open = resolve)));
    const usage = createVersionUsage({ db: db.queryable, errors: reporter(), flushIntervalMs: 1_000 });
    await usage.start();
    usage.record('b1', '2026-06-01');
    t.mock.timers.tick(1_000);
    await settled();
    usage.record('b2', '2026-06-01');
    t.mock.timers.tick(1_000);
    open();
    await eventually(() => db.written() >= 1);
    await settled();
    assert.deepEqual(db.batches, [['b1 2026-06-01 1']]);
    await usage.stop();
    assert.deepEqual(db.batches, [['b1 2026-06-01 1'], ['b2 2026-06-01 1']]);
  });
});
