/** The coalescer alone (no database): what goes into a batch, in order, and how failures split. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCoalescer } from './coalescer.ts';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('createCoalescer', () => {
  test('calls made in one tick travel in one batch, answered in order', async () => {
    const batches: number[][] = [];
    const c = createCoalescer<number, string>({
      run: async (items) => {
        batches.push(items);
        return items.map((i) => `r${i}`);
      },
      runOne: async (i) => `one${i}`,
    });
    const answers = await Promise.all([1, 2, 3, 4].map((i) => c.add(i)));
    assert.deepEqual(answers, ['r1', 'r2', 'r3', 'r4']);
    assert.deepEqual(batches, [[1, 2, 3, 4]]);
  });

  test('a call alone goes through runOne, not run', async () => {
    const seen: string[] = [];
    const c = createCoalescer<number, string>({
      run: async (items) => {
        seen.push(`run:${items.join(',')}`);
        return items.map(String);
      },
      runOne: async (i) => {
        seen.push(`one:${i}`);
        return 'alone';
      },
    });
    assert.equal(await c.add(7), 'alone');
    assert.deepEqual(seen, ['one:7']);
  });

  test('while maxInFlight batches run, new calls queue and leave together in the next one', async () => {
    const gates: ReturnType<typeof deferred<void>>[] = [];
    const batches: number[][] = [];
    const c = createCoalescer<number, number>({
      maxInFlight: 1,
      run: async (items) => {
        batches.push(items);
        const g = deferred<void>();
        gates.push(g);
        await g.promise;
        return items.map((i) => i * 10);
      },
      runOne: async (i) => {
        batches.push([i]);
        const g = deferred<void>();
        gates.push(g);
        await g.promise;
        return i * 10;
      },
    });
    const first = c.add(1);
    await new Promise((r) => setImmediate(r));
    const later = [2, 3, 4].map((i) => c.add(i));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(batches, [[1]], 'the queued calls wait for the batch in flight');
    assert.equal(c.queued(), 3);
    gates[0].resolve();
    assert.equal(await first, 10);
    while (gates.length < 2) await new Promise((r) => setImmediate(r));
    assert.deepEqual(batches, [[1], [2, 3, 4]]);
    gates[1].resolve();
    assert.deepEqual(await Promise.all(later), [20, 30, 40]);
  });

  test('maxBatch splits a burst; no batch is larger', async () => {
    const sizes: number[] = [];
    const c = createCoalescer<number, number>({
      maxBatch: 3,
      maxInFlight: 10,
      run: async (items) => {
        sizes.push(items.length);
        return items;
      },
      runOne: async (i) => {
        sizes.push(1);
        return i;
      },
    });
    const answers = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((i) => c.add(i)));
    assert.deepEqual(answers, [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(sizes, [3, 3, 1]);
  });

  test('an Error answered for one item fails that item only', async () => {
    const c = createCoalescer<number, number>({
      run: async (items) => items.map((i) => (i === 2 ? new Error('row 2 is bad') : i)),
      runOne: async (i) => i,
    });
    const settled = await Promise.allSettled([1, 2, 3].map((i) => c.add(i)));
    assert.deepEqual(
      settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)),
      [1, 'row 2 is bad', 3],
    );
  });

  test('a failed batch is retried item by item: the bad one fails alone, its neighbours succeed', async () => {
    const failures: [string, number][] = [];
    const alone: number[] = [];
    const c = createCoalescer<number, string>({
      run: async () => {
        throw new Error('batch statement failed');
      },
      runOne: async (i) => {
        alone.push(i);
        if (i === 2) throw new Error('2 violates a constraint');
        return `ok${i}`;
      },
      onBatchFailure: (error, size) => failures.push([(error as Error).message, size]),
    });
    const settled = await Promise.allSettled([1, 2, 3].map((i) => c.add(i)));
    assert.deepEqual(
      settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)),
      ['ok1', '2 violates a constraint', 'ok3'],
    );
    assert.deepEqual(alone.sort(), [1, 2, 3]);
    assert.deepEqual(failures, [['batch statement failed', 3]]);
  });

  test('an answer of the wrong length fails the whole batch loudly', async () => {
    const c = createCoalescer<number, number>({ run: async () => [1], runOne: async (i) => i });
    const settled = await Promise.allSettled([1, 2].map((i) => c.add(i)));
    assert.ok(settled.every((s) => s.status === 'rejected' && /answered 1 of 2/.test(String(s.reason))));
  });

  test('lingerMs holds a partial batch for more calls', async () => {
    const batches: number[][] = [];
    const c = createCoalescer<number, number>({
      lingerMs: 20,
      maxBatch: 3,
      run: async (items) => {
        batches.push(items);
        return items;
      },
      runOne: async (i) => {
        batches.push([i]);
        return i;
      },
    });
    const first = c.add(1);
    setTimeout(() => void c.add(2), 5); // a timer due before the linger's: it joins the batch
    await first;
    assert.deepEqual(batches, [[1, 2]]);
  });

  test('with lingerMs, a full batch leaves at once, not when the linger ends', async (t) => {
    // the linger's timer stays pending after the early send: a fake one does not keep the run alive for a minute
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const batches: number[][] = [];
    const c = createCoalescer<number, number>({
      lingerMs: 60_000,
      maxBatch: 2,
      run: async (items) => {
        batches.push(items);
        return items;
      },
      runOne: async (i) => i,
    });
    const both = Promise.all([c.add(1), c.add(2)]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(batches, [[1, 2]], 'sent before the next turn of the event loop');
    assert.deepEqual(await both, [1, 2]);
  });

  test('a synchronous throw of runOne, or a throwing hook, fails only its callers: nobody is left waiting', async () => {
    const c = createCoalescer<number, number>({
      run: async () => {
        throw new Error('batch failed');
      },
      runOne: (i) => {
        if (i === 2) throw new Error('sync throw');
        return Promise.resolve(i);
      },
      onBatch: () => {
        throw new Error('a metric broke');
      },
      onBatchFailure: () => {
        throw new Error('the error reporter broke');
      },
    });
    // a broken hook is not swallowed: it becomes a process warning
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(`${w.code}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const settled = await Promise.allSettled([1, 2, 3].map((i) => c.add(i)));
      assert.deepEqual(
        settled.map((s) => (s.status === 'fulfilled' ? s.value : (s.reason as Error).message)),
        [1, 'sync throw', 3],
      );
      assert.deepEqual(await Promise.allSettled([c.add(4)]), [{ status: 'fulfilled', value: 4 }]);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', onWarning);
    }
    assert.deepEqual(warnings, [
      'STEADFAST_COALESCER_HOOK: a coalescer hook failed: a metric broke',
      'STEADFAST_COALESCER_HOOK: a coalescer hook failed: the error reporter broke',
      'STEADFAST_COALESCER_HOOK: a coalescer hook failed: a metric broke',
    ]);
  });

  test('a run that answers no array fails its batch, not the process', async () => {
    const c = createCoalescer<number, number>({
      run: async () => undefined as unknown as number[],
      runOne: async (i) => i,
    });
    const settled = await Promise.allSettled([1, 2].map((i) => c.add(i)));
    assert.ok(
      settled.every((s) => s.status === 'rejected' && /answered undefined of 2/.test(String(s.reason))),
    );
  });

  test('distinct: a key twice in one batch is sent once, the later ones answered as duplicates', async () => {
    const sent: string[][] = [];
    const c = createCoalescer<string, string>({
      run: async (items) => {
        sent.push(items);
        return items.map((i) => `wrote ${i}`);
      },
      runOne: async (i) => `alone ${i}`,
      distinct: { keyOf: (i) => i.split(':')[0], duplicate: 'duplicate' },
    });
    const answers = await Promise.all(['a:1', 'b:1', 'a:2', 'c:1', 'b:2'].map((i) => c.add(i)));
    assert.deepEqual(sent, [['a:1', 'b:1', 'c:1']]);
    assert.deepEqual(answers, ['wrote a:1', 'wrote b:1', 'duplicate', 'wrote c:1', 'duplicate']);
  });

  test('distinct: after a failed batch every item goes alone, duplicates too', async () => {
    const alone: string[] = [];
    const c = createCoalescer<string, string>({
      run: async () => {
        throw new Error('batch failed');
      },
      runOne: async (i) => {
        alone.push(i);
        return `alone ${i}`;
      },
      distinct: { keyOf: (i) => i.split(':')[0], duplicate: 'duplicate' },
    });
    const answers = await Promise.all(['a:1', 'a:2'].map((i) => c.add(i)));
    assert.deepEqual(answers, ['alone a:1', 'alone a:2']);
    assert.deepEqual(alone.sort(), ['a:1', 'a:2']);
  });

  test('bad options are refused at creation', () => {
    const run = async (items: number[]) => items;
    assert.throws(() => createCoalescer({ run, runOne: async (i: number) => i, maxBatch: 0 }), /maxBatch/);
    assert.throws(
      () => createCoalescer({ run, runOne: async (i: number) => i, maxInFlight: 0 }),
      /maxInFlight/,
    );
    assert.throws(() => createCoalescer({ run, runOne: async (i: number) => i, lingerMs: -1 }), /lingerMs/);
  });

  test('maxBatch 1 is allowed: every call goes alone through runOne', async () => {
    const seen: string[] = [];
    const c = createCoalescer<number, number>({
      maxBatch: 1,
      run: async (items) => {
        seen.push(`run:${items.join(',')}`);
        return items;
      },
      runOne: async (i) => {
        seen.push(`one:${i}`);
        return i;
      },
    });
    assert.deepEqual(await Promise.all([1, 2, 3].map((i) => c.add(i))), [1, 2, 3]);
    assert.deepEqual(seen, ['one:1', 'one:2', 'one:3']);
  });

  test('by default a batch holds up to 64 calls and two batches run at once', async () => {
    const gates: ReturnType<typeof deferred<void>>[] = [];
    const sizes: number[] = [];
    const c = createCoalescer<number, number>({
      run: async (items) => {
        sizes.push(items.length);
        const g = deferred<void>();
        gates.push(g);
        await g.promise;
        return items;
      },
      runOne: async (i) => {
        sizes.push(1);
        const g = deferred<void>();
        gates.push(g);
        await g.promise;
        return i;
      },
    });
    const calls = Array.from({ length: 130 }, (_, i) => c.add(i));
    while (gates.length < 2) await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(sizes, [64, 64], 'two batches of 64 in flight');
    assert.equal(c.queued(), 2, 'the rest waits for a free slot');
    gates[0].resolve();
    while (gates.length < 3) await new Promise((r) => setImmediate(r));
    assert.deepEqual(sizes, [64, 64, 2]);
    for (const g of gates) g.resolve();
    assert.equal((await Promise.all(calls)).length, 130);
  });

  test('onBatch hears each batch with its size', async () => {
    const sizes: number[] = [];
    const c = createCoalescer<number, number>({
      maxBatch: 2,
      run: async (items) => items,
      runOne: async (i) => i,
      onBatch: (size) => sizes.push(size),
    });
    await Promise.all([1, 2, 3].map((i) => c.add(i)));
    assert.deepEqual(sizes, [2, 1]);
  });

  test('without lingerMs, a full batch still leaves at the next turn, not inside add()', async () => {
    const sizes: number[] = [];
    const c = createCoalescer<number, number>({
      maxBatch: 2,
      run: async (items) => items,
      runOne: async (i) => i,
      onBatch: (size) => sizes.push(size),
    });
    const both = Promise.all([c.add(1), c.add(2)]);
    assert.deepEqual(sizes, [], 'nothing sent synchronously');
    assert.deepEqual(await both, [1, 2]);
    assert.deepEqual(sizes, [2]);
  });

  test('with lingerMs, calls of one tick that do not fill a batch wait for the linger', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const batches: number[][] = [];
    const c = createCoalescer<number, number>({
      lingerMs: 20,
      maxBatch: 3,
      run: async (items) => {
        batches.push(items);
        return items;
      },
      runOne: async (i) => i,
    });
    const both = Promise.all([c.add(1), c.add(2)]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(batches, [], 'a partial batch lingers');
    assert.equal(c.queued(), 2);
    t.mock.timers.tick(20);
    assert.deepEqual(await both, [1, 2]);
    assert.deepEqual(batches, [[1, 2]]);
  });

  test('with lingerMs, a full batch leaves at once and the call after it lingers for the next', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const batches: number[][] = [];
    const c = createCoalescer<number, number>({
      lingerMs: 1000,
      maxBatch: 2,
      run: async (items) => {
        batches.push(items);
        return items;
      },
      runOne: async (i) => {
        batches.push([i]);
        return i;
      },
    });
    const calls = [1, 2, 3].map((i) => c.add(i));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(batches, [[1, 2]]);
    assert.equal(c.queued(), 1, 'the third call waits for the linger');
    t.mock.timers.tick(1000);
    assert.deepEqual(await Promise.all(calls), [1, 2, 3]);
    assert.deepEqual(batches, [[1, 2], [3]]);
  });

  test('with lingerMs, a full batch queued behind the one in flight leaves when the slot frees, without lingering', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const gates: ReturnType<typeof deferred<void>>[] = [];
    const batches: number[][] = [];
    const c = createCoalescer<number, number>({
      lingerMs: 1000,
      maxBatch: 2,
      maxInFlight: 1,
      run: async (items) => {
        batches.push(items);
        const g = deferred<void>();
        gates.push(g);
        await g.promise;
        return items;
      },
      runOne: async (i) => i,
    });
    const first = Promise.all([c.add(1), c.add(2)]);
    while (gates.length < 1) await new Promise((r) => setImmediate(r));
    const second = Promise.all([c.add(3), c.add(4)]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(batches, [[1, 2]], 'the slot is taken');
    gates[0].resolve();
    assert.deepEqual(await first, [1, 2]);
    while (gates.length < 2) await new Promise((r) => setImmediate(r));
    assert.deepEqual(batches, [
      [1, 2],
      [3, 4],
    ]);
    gates[1].resolve();
    assert.deepEqual(await second, [3, 4]);
  });
});
