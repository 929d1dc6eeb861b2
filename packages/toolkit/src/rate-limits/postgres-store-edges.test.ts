/**
 * The Postgres rate-limit store's life, against a stand-in database: its
 * required instance id, one limiter per store, the start (schema check, an
 * unreachable database reported, the sync timer: none at 0, unref'd
 * otherwise) and the close (stops the timer, leaves the instances table once,
 * only when started; a failed leave is reported).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFakeClock, eventually } from '../testing/index.ts';
import { createRateLimiter } from './limiter.ts';
import { createPostgresRateLimitStore, type PostgresRateLimitStoreOptions } from './postgres-store.ts';
import {
  capturingIntervals,
  type FakeDbOptions,
  fakeDb,
  recordingErrors,
  settle,
  snap,
  storeOn,
} from './store-harness.ts';

const LEAVE = { kind: 'leave', text: 'DELETE FROM rate_limit_instances WHERE instance = $1', values: ['a'] };

const storeWith = (dbOptions: FakeDbOptions = {}, options: Partial<PostgresRateLimitStoreOptions> = {}) =>
  storeOn(() => [snap()], dbOptions, options, ['writes']);

describe('creating and attaching', () => {
  test('an instance id is required', () => {
    const clock = createFakeClock();
    assert.throws(
      () =>
        createPostgresRateLimitStore({ db: fakeDb().db, instanceId: '', clock, errors: recordingErrors() }),
      { message: 'createPostgresRateLimitStore: instanceId is required' },
    );
  });

  test('a store serves one limiter: a second one is refused', () => {
    const clock = createFakeClock();
    const store = createPostgresRateLimitStore({
      db: fakeDb().db,
      instanceId: 'a',
      clock,
      errors: recordingErrors(),
      syncIntervalMs: 0,
    });
    createRateLimiter({ policies: { writes: { limit: 10, windowS: 1 } }, clock, store });
    assert.throws(
      () => createRateLimiter({ policies: { writes: { limit: 10, windowS: 1 } }, clock, store }),
      {
        message: 'a rate limit store serves one limiter',
      },
    );
  });
});

describe('start', () => {
  test('checks the schema, then reloads overrides and syncs once; no timer at syncIntervalMs 0, nothing reported', async () => {
    const { fake, errors, store, limiter } = storeWith();
    const { timers } = await capturingIntervals(() => store.start());
    assert.deepEqual(
      fake.statements.map((s) => s.kind),
      ['schema', 'schema', 'overrides', 'sync'],
    );
    assert.equal(limiter.of('apply').length, 1);
    assert.deepEqual(timers, []);
    assert.deepEqual(errors.seen, []);
    await settle(20);
    assert.equal(fake.of('sync').length, 1, 'no sync without a timer');
    await store.close();
  });

  test('an unreachable database is reported, not thrown: the schema was not checked', async () => {
    const { fake, errors, store } = storeWith({
      answer: (s) => (s.kind === 'schema' ? 'unreachable' : undefined),
    });
    await store.start();
    assert.deepEqual(errors.seen, [
      { component: 'rate-limit-sync', message: 'database unreachable at start: schema not checked' },
    ]);
    assert.equal(fake.of('sync').length, 1, 'the first sync is still tried');
    await store.close();
  });

  test('with syncIntervalMs the timer syncs on its own, does not keep the process alive, and close stops it', async () => {
    const { fake, store } = storeWith({}, { syncIntervalMs: 5 });
    const { timers } = await capturingIntervals(() => store.start());
    const hadRef = timers.map(({ timer }) => timer.hasRef());
    for (const { timer } of timers) timer.unref(); // a failed check below must not keep the test process alive
    assert.equal(timers.length, 1);
    assert.equal(timers[0].ms, 5);
    assert.deepEqual(hadRef, [false], 'the timer is unref’d');
    try {
      await eventually(async () => fake.of('sync').length >= 3, { message: 'the timer syncs' });
    } finally {
      await store.close();
    }
    const syncs = fake.of('sync').length;
    await settle();
    assert.equal(fake.of('sync').length, syncs, 'no sync after close');
  });

  test('a closed store does not start again', async () => {
    const { store } = storeWith();
    await store.close();
    await assert.rejects(store.start(), { message: 'the rate limit store is closed' });
  });
});

describe('close', () => {
  test('after a start: leaves the instances table once, however often it is called', async () => {
    const { fake, errors, store } = storeWith();
    await store.start();
    const before = fake.statements.length;
    await store.close();
    await store.close();
    assert.deepEqual(fake.statements.slice(before), [LEAVE]);
    assert.deepEqual(errors.seen, []);
    await assert.rejects(store.start(), /closed/);
  });

  test('never started: nothing to leave, no statement', async () => {
    const { fake, store } = storeWith();
    await store.close();
    assert.deepEqual(fake.statements, []);
  });

  test('a failed leave is reported with the instance, during close, and close still resolves', async () => {
    const { errors, store } = storeWith({ answer: (s) => (s.kind === 'leave' ? 'fail' : undefined) });
    await store.start();
    await store.close();
    assert.deepEqual(errors.seen, [
      { component: 'rate-limit-sync', message: 'leave failed', context: { instance: 'a', during: 'close' } },
    ]);
  });
});
