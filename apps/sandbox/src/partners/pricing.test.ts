/** The pricing partner's batch lookup: per-item answers, its bounds, and chaos like the single lookup. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '../harness.ts';

let sandbox: RunningSandbox;
before(async () => {
  sandbox = await startSandbox();
});
after(() => sandbox.close());
beforeEach(() => sandbox.reset());

const batch = (body: unknown) =>
  fetch(`${sandbox.base}/pricing/v1/prices:batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

test('POST /pricing/v1/prices:batch prices each SKU like the single lookup and reports unknown ones per item', async () => {
  await fetch(`${sandbox.base}/pricing/v1/prices/B-GONE`, { method: 'DELETE' });
  const response = await batch({ currency: 'USD', skus: ['B-1', 'B-GONE', 'B-1', 'bad sku'] });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { currency: string; data: Record<string, unknown>[] };
  assert.equal(body.currency, 'USD');
  const single = (await (await fetch(`${sandbox.base}/pricing/v1/prices/B-1?currency=USD`)).json()) as {
    unitAmount: number;
  };
  assert.deepEqual(
    body.data.map((d) => [d.sku, d.unitAmount ?? (d.error as { code: string }).code]),
    [
      ['B-1', single.unitAmount],
      ['B-GONE', 'sku_unknown'],
      ['bad sku', 'sku_unknown'],
    ],
  );
});

test('bad batches are 400 parameter_invalid: no SKUs, more than 100, a bad currency', async () => {
  for (const body of [
    { currency: 'EUR', skus: [] },
    { currency: 'EUR', skus: Array.from({ length: 101 }, (_, i) => `S-${i}`) },
    { currency: 'euro', skus: ['S-1'] },
    { currency: 'EUR', skus: [1] },
  ]) {
    const response = await batch(body);
    assert.equal(response.status, 400, JSON.stringify(body).slice(0, 60));
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'parameter_invalid');
  }
});

test('chaos applies to the batch as to the single lookup', async () => {
  assert.equal(
    (await sandbox.chaos('pricing', { rules: [{ fault: 'error', status: 503, count: 1 }] })).status,
    200,
  );
  assert.equal((await batch({ currency: 'EUR', skus: ['C-1'] })).status, 503);
  assert.equal((await batch({ currency: 'EUR', skus: ['C-1'] })).status, 200);
});
