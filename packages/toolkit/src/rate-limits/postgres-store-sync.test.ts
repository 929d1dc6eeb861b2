/**
 * One sync of the Postgres rate-limit store, against a stand-in database and a
 * stand-in limiter: the statement's parameters column by column (the previous
 * window's start, the weight it will have at the next sync, the cleanup
 * cutoff) and when old windows are deleted. Override reloads, failed syncs and
 * the sync histogram are in postgres-store-reload.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFakeClock } from '../testing/index.ts';
import { createPostgresRateLimitStore } from './postgres-store.ts';
import { fakeDb, params, recordingErrors, snap, storeOn as storeWith, T } from './store-harness.ts';

describe('the sync statement', () => {
  test('one array per column: the previous window starts one window earlier, and its weight is the one at the next sync', async () => {
    const cells = [
      snap({
        partition: 't1',
        className: 'writes',
        limit: 100,
        windowMs: 1000,
        count: 3,
        prevCount: 2,
        prevWeight: 0.5,
      }),
      snap({
        partition: 't2',
        className: 'reads',
        limit: 50,
        windowMs: 2000,
        count: 0,
        prevCount: 4,
        prevWeight: 0.04,
      }),
    ];
    const { fake, store } = storeWith(() => cells);
    await store.sync();
    const [sync] = fake.of('sync');
    assert.deepEqual(params(sync.values), {
      instance: 'a',
      partitions: ['t1', 't2'],
      classes: ['writes', 'reads'],
      starts: [T, T],
      prevStarts: [T - 1000, T - 2000],
      limits: [100, 50],
      counts: [3, 0],
      prevCounts: [2, 4],
      // without a timer the next sync is assumed 100 ms away: 0.5 − 100/1000; 0.04 − 100/2000 is below 0
      weights: [0.4, 0],
      activeS: 3,
      // the first sync cleans up: windows that ended 10 minutes ago (twice the largest window is less)
      cutoff: T - 600_000,
    });
  });

  test('with a timer the weight looks one sync interval ahead', async () => {
    const { fake, store } = storeWith(
      () => [snap({ windowMs: 1000, prevWeight: 0.5 })],
      {},
      { syncIntervalMs: 250 },
    );
    await store.sync(); // by hand: no start, no timer
    assert.deepEqual(params(fake.of('sync')[0].values).weights, [0.25]);
  });

  test('activeWithinS is passed through', async () => {
    const { fake, store } = storeWith(() => [snap()], {}, { activeWithinS: 9 });
    await store.sync();
    assert.equal(params(fake.of('sync')[0].values).activeS, 9);
  });

  test('the answer is handed to the limiter with the snapshot it was computed for', async () => {
    const cells = [snap({ partition: 't1' }), snap({ partition: 't2' })];
    const { limiter, store, errors } = storeWith(() => cells, {
      sync: () => ({
        active: 3,
        cells: [
          [5, 10, 20],
          [0, 1, 2],
        ],
      }),
    });
    await store.sync();
    const [applied] = limiter.of('apply');
    assert.equal(applied.snapshot, cells);
    assert.deepEqual(applied.result, {
      activeInstances: 3,
      cells: [
        { grant: 5, othersCount: 10, othersPrevCount: 20 },
        { grant: 0, othersCount: 1, othersPrevCount: 2 },
      ],
    });
    assert.equal(limiter.of('applyLocally').length, 0);
    assert.deepEqual(errors.seen, []);
  });

  test('without an attached limiter a sync sends nothing and resolves', async () => {
    const fake = fakeDb();
    const errors = recordingErrors();
    const store = createPostgresRateLimitStore({
      db: fake.db,
      instanceId: 'a',
      clock: createFakeClock(T),
      errors,
      syncIntervalMs: 0,
    });
    await store.sync();
    assert.deepEqual(fake.statements, []);
    assert.deepEqual(errors.seen, []);
  });
});

describe('old windows are deleted every cleanupEveryMs, at least 10 minutes and two windows after they ended', () => {
  test('the cutoff is sent only on cleanup syncs, counted from the last one that succeeded', async () => {
    let cells = [snap({ windowMs: 1000 })];
    let failing = false;
    const { fake, clock, store, errors } = storeWith(() => cells, {
      answer: (s) => (failing && s.kind === 'sync' ? 'fail' : undefined),
    });
    const cutoffs: unknown[] = [];
    const syncAt = async (ms: number) => {
      clock.set(T + ms);
      await store.sync();
      cutoffs.push(params(fake.of('sync').at(-1)?.values ?? []).cutoff);
    };
    await syncAt(0); // the first one cleans up
    await syncAt(5_000);
    await syncAt(9_999);
    await syncAt(10_000); // exactly cleanupEveryMs after the last cleanup
    cells = [snap({ windowMs: 3_600_000 })];
    await syncAt(15_000);
    cells = [snap({ windowMs: 1000 })];
    await syncAt(20_000); // the largest window seen so far counts: two hours
    failing = true;
    await syncAt(30_000); // a failed cleanup …
    failing = false;
    await syncAt(30_001); // … is tried again at the next sync
    await syncAt(30_002);
    assert.deepEqual(cutoffs, [
      T - 600_000,
      null,
      null,
      T + 10_000 - 600_000,
      null,
      T + 20_000 - 7_200_000,
      T + 30_000 - 7_200_000,
      T + 30_001 - 7_200_000,
      null,
    ]);
    assert.equal(errors.seen.length, 1);
  });

  test('cleanupEveryMs is an option', async () => {
    const { fake, clock, store } = storeWith(() => [snap()], {}, { cleanupEveryMs: 1000 });
    await store.sync();
    clock.advance(999);
    await store.sync();
    clock.advance(1);
    await store.sync();
    assert.deepEqual(
      fake.of('sync').map((s) => params(s.values).cutoff),
      [T - 600_000, null, T + 1000 - 600_000],
    );
  });
});
