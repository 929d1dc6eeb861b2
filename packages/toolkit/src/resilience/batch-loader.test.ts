/** batchLoader at its edges: a batch of exactly maxBatchSize, the default `missing` error. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchLoader } from './batch-loader.ts';

test('exactly maxBatchSize keys make one call, never an empty second one', async () => {
  const calls: string[][] = [];
  const loader = batchLoader<string, number>({
    maxBatchSize: 2,
    load: async (items) => {
      calls.push(items.map((i) => i.key));
      return new Map(items.map((i) => [i.key, { value: 1 }]));
    },
  });
  assert.deepEqual(await Promise.all([loader.load('a', undefined), loader.load('b', undefined)]), [1, 1]);
  assert.deepEqual(calls, [['a', 'b']]);
  assert.equal(loader.batches(), 1);
});

test('a key the answer left out fails, by default, with an Error naming it', async () => {
  const loader = batchLoader<string, number>({ load: async () => new Map() });
  await assert.rejects(loader.load('sku-9', undefined), {
    name: 'Error',
    message: 'the batch answered nothing for sku-9',
  });
});
