/** staleIfError at its edges: the freshness and staleness boundaries, eviction, single flight, delete. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createFakeClock } from '../testing/fake-clock.ts';
import { HttpStatusError } from './errors.ts';
import { staleIfError } from './stale-if-error.ts';

const down = () => Promise.reject(new HttpStatusError(503));

describe('staleIfError boundaries', () => {
  test('an entry exactly freshMs old is no longer fresh: it is loaded again', async () => {
    const clock = createFakeClock(0);
    const cache = staleIfError<string, number>({ freshMs: 1000, maxStaleMs: 10_000, clock });
    await cache.get('a', async () => 1);
    clock.advance(999);
    assert.deepEqual(await cache.get('a', async () => 2), { value: 1, loadedAt: 0, stale: false });
    clock.advance(1);
    assert.deepEqual(await cache.get('a', async () => 3), { value: 3, loadedAt: 1000, stale: false });
  });

  test('an entry exactly maxStaleMs old is still served stale; one ms older is not', async () => {
    const clock = createFakeClock(0);
    const cache = staleIfError<string, number>({ maxStaleMs: 5000, clock });
    const served: { key: string; ageMs: number }[] = [];
    cache.onStaleServed(({ key, ageMs }) => served.push({ key, ageMs }));
    await cache.get('a', async () => 1);
    clock.advance(5000);
    assert.deepEqual(await cache.get('a', down), { value: 1, loadedAt: 0, stale: true });
    clock.advance(1);
    await assert.rejects(cache.get('a', down), HttpStatusError);
    assert.deepEqual(served, [{ key: 'a', ageMs: 5000 }]);
  });
});

describe('staleIfError entries', () => {
  test('maxEntries: the first inserted leaves when a new key comes; reloading a kept key evicts none', async () => {
    const clock = createFakeClock(0);
    const cache = staleIfError<string, string>({ maxStaleMs: 60_000, maxEntries: 2, clock });
    await cache.get('a', async () => 'A');
    assert.equal(cache.size(), 1);
    await cache.get('b', async () => 'B');
    assert.equal(cache.size(), 2);
    await cache.get('b', async () => 'B2');
    assert.equal(cache.size(), 2);
    // both kept: a failing load of either is answered stale
    assert.equal((await cache.get('a', down)).value, 'A');
    assert.equal((await cache.get('b', down)).value, 'B2');
    await cache.get('c', async () => 'C');
    assert.equal(cache.size(), 2);
    await assert.rejects(cache.get('a', down), HttpStatusError, 'a, the first inserted, left');
    assert.equal((await cache.get('b', down)).value, 'B2');
    assert.equal((await cache.get('c', down)).value, 'C');
  });

  test('concurrent misses of one key share one load', async () => {
    const cache = staleIfError<string, number>({ maxStaleMs: 1000, clock: createFakeClock(0) });
    let loads = 0;
    let release: (v: number) => void = () => {};
    const load = () => {
      loads++;
      return new Promise<number>((resolve) => {
        release = resolve;
      });
    };
    const both = Promise.all([cache.get('k', load), cache.get('k', load)]);
    release(7);
    assert.deepEqual(
      (await both).map((c) => c.value),
      [7, 7],
    );
    assert.equal(loads, 1);
  });

  test('delete forgets a key (true), a missing key is false; the next failure is not answered stale', async () => {
    const cache = staleIfError<string, number>({ maxStaleMs: 60_000, clock: createFakeClock(0) });
    await cache.get('a', async () => 1);
    assert.equal(cache.delete('a'), true);
    assert.equal(cache.delete('a'), false);
    assert.equal(cache.size(), 0);
    await assert.rejects(cache.get('a', down), HttpStatusError);
  });
});
