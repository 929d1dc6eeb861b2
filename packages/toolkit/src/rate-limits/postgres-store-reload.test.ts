/**
 * The Postgres rate-limit store's override reloads (when, what is skipped, a
 * failed reload), a failed sync and how the limiter answers meanwhile, and the
 * sync-duration histogram — against a stand-in database and limiter.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { metricValues } from '../testing/index.ts';
import { snap, storeOn as storeWith, T } from './store-harness.ts';

describe('overrides are reloaded every overridesReloadMs, before the sync', () => {
  test('loaded at the first sync, then again once the interval has passed; classes the limiter does not know are skipped', async () => {
    const { fake, clock, store, limiter } = storeWith(() => [snap()], {
      overrides: [
        { partition: 'vip', class: 'writes', limit: 5, window_s: 1 },
        { partition: 'vip', class: 'deletes', limit: 9, window_s: 1 },
      ],
    });
    const reloadsAt: number[] = [];
    for (const ms of [0, 4_999, 5_000, 9_999, 10_000]) {
      clock.set(T + ms);
      const before = fake.of('overrides').length;
      await store.sync();
      if (fake.of('overrides').length > before) reloadsAt.push(ms);
    }
    assert.deepEqual(reloadsAt, [0, 5_000, 10_000]);
    assert.deepEqual(
      fake.statements.slice(0, 2).map((s) => s.kind),
      ['overrides', 'sync'],
    );
    const [first] = limiter.of('setOverrides');
    assert.deepEqual(first.overrides, new Map([['vip', { writes: { limit: 5, windowS: 1 } }]]));
    assert.equal(limiter.of('setOverrides').length, 3);
  });

  test('overridesReloadMs is an option', async () => {
    const { fake, clock, store } = storeWith(() => [snap()], {}, { overridesReloadMs: 50 });
    await store.sync();
    clock.advance(49);
    await store.sync();
    clock.advance(1);
    await store.sync();
    assert.equal(fake.of('overrides').length, 2);
  });

  test('a failed reload is reported under rate-limit-overrides; the sync still runs and the old overrides stay', async () => {
    const { fake, store, limiter, errors } = storeWith(() => [snap()], {
      answer: (s) => (s.kind === 'overrides' ? 'fail' : undefined),
    });
    await store.sync();
    assert.deepEqual(errors.seen, [
      { component: 'rate-limit-overrides', message: 'overrides failed', context: { instance: 'a' } },
    ]);
    assert.equal(limiter.of('setOverrides').length, 0);
    assert.equal(fake.of('sync').length, 1);
    assert.equal(limiter.of('apply').length, 1);
  });
});

describe('a failed sync', () => {
  test('is reported with the instance and the number of cells, and the limiter grants from what it knows', async () => {
    const cells = [snap({ partition: 't1' }), snap({ partition: 't2' })];
    const { store, limiter, errors } = storeWith(() => cells, {
      answer: (s) => (s.kind === 'sync' ? 'fail' : undefined),
    });
    await store.sync(); // never rejects
    assert.deepEqual(errors.seen, [
      { component: 'rate-limit-sync', message: 'sync failed', context: { instance: 'a', cells: 2 } },
    ]);
    const local = limiter.of('applyLocally');
    assert.equal(local.length, 1);
    assert.equal(local[0].snapshot, cells);
    assert.equal(limiter.of('apply').length, 0);
  });
});

describe('steadfast_rate_limit_sync_seconds', () => {
  const histogramOf = async (registry: Registry) => {
    // fails when the registry given has no such metric
    const values = await metricValues(registry, 'steadfast_rate_limit_sync_seconds');
    return {
      buckets: values
        .filter((v) => v.metricName === 'steadfast_rate_limit_sync_seconds_bucket')
        .map((v) => v.labels.le),
      count: values.find((v) => v.metricName === 'steadfast_rate_limit_sync_seconds_count')?.value,
    };
  };

  test('every sync is timed, failed ones too, in buckets from 1 ms to 1 s', async () => {
    const registry = new Registry();
    let failing = false;
    const { store } = storeWith(
      () => [snap()],
      { answer: (s) => (failing && s.kind === 'sync' ? 'fail' : undefined) },
      { registry },
    );
    await store.sync();
    failing = true;
    await store.sync();
    assert.deepEqual(await histogramOf(registry), {
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, '+Inf'],
      count: 2,
    });
    assert.match(
      await registry.metrics(),
      /# HELP steadfast_rate_limit_sync_seconds Duration of one rate-limit sync statement \(publish own counts, read the others\)/,
    );
  });

  test('a second store on the same registry shares the histogram; without a registry the sync runs untimed', async () => {
    const registry = new Registry();
    const first = storeWith(() => [snap()], {}, { registry });
    const second = storeWith(() => [snap()], {}, { registry });
    await first.store.sync();
    await second.store.sync();
    assert.equal((await histogramOf(registry)).count, 2);
    const bare = storeWith(() => [snap()]);
    await bare.store.sync();
    assert.equal(bare.limiter.of('apply').length, 1);
  });
});
