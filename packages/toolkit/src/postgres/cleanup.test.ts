/** deleteInBatches' batches and limits, and startPeriodicCleanup's runs, counts and reported failures. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase, eventually, type TestDatabase } from '../testing/index.ts';
import { deleteInBatches, startPeriodicCleanup } from './cleanup.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await db.pool.query('CREATE TABLE events (n int NOT NULL, old boolean NOT NULL)');
});
after(() => db?.close());

async function fill(old: number, young: number) {
  await db.pool.query('TRUNCATE events');
  await db.pool.query(
    'INSERT INTO events SELECT g, g <= $1::int FROM generate_series(1, $1::int + $2::int) g',
    [old, young],
  );
}
const left = async () => (await db.pool.query('SELECT count(*)::int AS n FROM events')).rows[0].n;

describe('deleteInBatches', () => {
  test('deletes every matching row, batch by batch, with the where clause’s own parameters', async () => {
    await fill(25, 5);
    const statements: number[] = [];
    const counting = {
      query: async (text: string, values: unknown[]) => {
        const result = await db.pool.query(text, values);
        statements.push(result.rowCount ?? 0);
        return result;
      },
    };
    assert.equal(
      await deleteInBatches(counting as never, {
        table: 'events',
        where: 'old = $1',
        params: [true],
        batchSize: 10,
      }),
      25,
    );
    assert.deepEqual(statements, [10, 10, 5], 'a short batch ends the run');
    assert.equal(await left(), 5);
  });

  test('maxBatches stops early (the next run goes on); the default batch is 500', async () => {
    await fill(30, 0);
    assert.equal(
      await deleteInBatches(db.pool, { table: 'events', where: 'old', batchSize: 10, maxBatches: 2 }),
      20,
    );
    assert.equal(await left(), 10);
    await fill(600, 0);
    const sizes: number[] = [];
    const spy = {
      query: async (text: string, values: unknown[]) => {
        sizes.push(values.at(-1) as number);
        return db.pool.query(text, values);
      },
    };
    assert.equal(await deleteInBatches(spy as never, { table: 'events', where: 'old' }), 600);
    assert.deepEqual(sizes, [500, 500]);
  });

  test('a table name that is not a plain identifier is refused before any SQL', async () => {
    for (const table of ['Events', 'events; DROP TABLE x', '1events', 'public.events', ''])
      await assert.rejects(() => deleteInBatches(db.pool, { table, where: 'true' }), {
        message: `deleteInBatches: "${table}" is not a plain identifier`,
      });
  });
});

describe('startPeriodicCleanup', () => {
  test('runOnce returns the count and tells onDeleted only when something went', async () => {
    const counts = [3, 0, 2];
    const told: number[] = [];
    const cleanup = startPeriodicCleanup({
      name: 'x',
      run: async () => counts.shift() ?? 0,
      errors: { report: () => assert.fail('no failure expected') },
      intervalMs: 3_600_000,
      onDeleted: (n) => told.push(n),
    });
    try {
      assert.deepEqual(
        [await cleanup.runOnce(), await cleanup.runOnce(), await cleanup.runOnce()],
        [3, 0, 2],
      );
      assert.deepEqual(told, [3, 2]);
    } finally {
      cleanup.stop();
    }
  });

  test('runs on its interval; a failing run is reported under its name; stop() ends the runs', async (t) => {
    let runs = 0;
    const reported: [string, string][] = [];
    const cleanup = startPeriodicCleanup({
      name: 'idempotency-keys',
      run: async () => {
        runs++;
        throw new Error('database down');
      },
      errors: { report: (name, error) => reported.push([name, (error as Error).message]) },
      intervalMs: 5,
    });
    t.after(() => cleanup.stop());
    await eventually(() => reported.length >= 2);
    cleanup.stop();
    assert.deepEqual(reported[0], ['idempotency-keys', 'database down']);
    const stoppedAt = runs;
    // a witness on the same interval, started after the stop: timers of one interval fire in order,
    // so once it has run twice the stopped one would have run again too
    let witnessRuns = 0;
    const witness = startPeriodicCleanup({
      name: 'witness',
      run: async () => ++witnessRuns,
      errors: { report: () => {} },
      intervalMs: 5,
    });
    t.after(() => witness.stop());
    await eventually(() => witnessRuns >= 2);
    assert.equal(runs, stoppedAt, 'no run after stop()');
  });
});
