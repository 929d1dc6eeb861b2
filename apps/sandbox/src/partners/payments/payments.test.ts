import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { eventually } from '@steadfast/toolkit/testing';
import { type RunningSandbox, startSandbox } from '../../harness.ts';

let sandbox: RunningSandbox;
let base: string;
before(async () => {
  sandbox = await startSandbox({ chargeProcessingMs: 50 });
  base = sandbox.base;
});
after(() => sandbox.close());
beforeEach(async () => {
  await fetch(`${base}/_reset`, { method: 'POST' });
});

type Charge = {
  id: string;
  status: string;
  amount: number;
  reference: string;
  failureCode?: string;
  version: number;
};

async function charge(body: object, key?: string) {
  const response = await fetch(`${base}/payments/v1/charges`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json()) as Charge & { error?: { type: string; code: string } },
  };
}
const ledger = async () =>
  ((await (await fetch(`${base}/payments/ledger`)).json()) as { data: Charge[] }).data;

describe('payments partner', () => {
  test('a charge succeeds, can be read by id and found by reference', async () => {
    const created = await charge({ amount: 1000, currency: 'EUR', reference: 'order-1' });
    assert.equal(created.status, 201);
    assert.match(created.body.id, /^ch_/);
    assert.equal(created.body.status, 'succeeded');
    const read = (await (await fetch(`${base}/payments/v1/charges/${created.body.id}`)).json()) as Charge;
    assert.deepEqual(read, created.body);
    const found = (await (await fetch(`${base}/payments/v1/charges?reference=order-1`)).json()) as {
      data: Charge[];
    };
    assert.deepEqual(found.data, [created.body]);
    assert.equal((await fetch(`${base}/payments/v1/charges/ch_nope`)).status, 404);
  });

  test('errors come in the partner’s own shape', async () => {
    const bad = await charge({ amount: -1, currency: 'EUR', reference: 'x' });
    assert.equal(bad.status, 400);
    assert.deepEqual(Object.keys(bad.body.error ?? {}).sort(), ['code', 'message', 'param', 'type']);
  });

  test('an amount ending in 02 is declined; ending in 05 goes pending and settles later', async () => {
    const declined = await charge({ amount: 1002, currency: 'EUR', reference: 'd' });
    assert.equal(declined.body.status, 'failed');
    assert.equal(declined.body.failureCode, 'card_declined');
    await fetch(`${base}/payments/_chaos`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ settlement: { settleAfterMs: [20, 40] } }),
    });
    const pending = await charge({ amount: 1005, currency: 'EUR', reference: 'p' });
    assert.equal(pending.body.status, 'pending');
    const settled = await eventually(async () =>
      (await ledger()).find((c) => c.id === pending.body.id && c.status !== 'pending'),
    );
    assert.equal(settled.status, 'succeeded');
    assert.equal(settled.version, 2);
  });

  test('idempotency: same key and body → the same charge; another body → 422', async () => {
    const body = { amount: 1000, currency: 'EUR', reference: 'k' };
    const first = await charge(body, 'key-1');
    const again = await charge(body, 'key-1');
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    const other = await charge({ ...body, amount: 2000 }, 'key-1');
    assert.equal(other.status, 422);
    assert.equal(other.body.error?.type, 'idempotency_error');
    assert.equal((await ledger()).length, 1);
  });

  test('concurrent requests with one key: one charge, the other gets 409', async () => {
    const body = { amount: 1000, currency: 'EUR', reference: 'c' };
    const [a, b] = await Promise.all([charge(body, 'same'), charge(body, 'same')]);
    assert.deepEqual([a.status, b.status].sort(), [201, 409]);
    assert.equal((await ledger()).length, 1);
  });

  test('charge ids are unique across restarts and a reset, and sort by creation time', async () => {
    const seen: string[] = [];
    const three = async (at: string) => {
      for (let i = 0; i < 3; i++) {
        const created = await fetch(`${at}/payments/v1/charges`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ amount: 1000, currency: 'EUR', reference: `r-${i}` }),
        });
        seen.push(((await created.json()) as Charge).id);
      }
    };
    await three(base);
    await fetch(`${base}/_reset`, { method: 'POST' });
    await three(base);
    for (let run = 0; run < 2; run++) {
      const other = await startSandbox({ chargeProcessingMs: 0 }); // a fresh process state, as after a restart
      try {
        await three(other.base);
      } finally {
        await other.close();
      }
    }
    assert.equal(new Set(seen).size, seen.length, `repeated ids: ${seen.join(', ')}`);
    for (const id of seen) assert.match(id, /^ch_[0-9a-hjkmnp-tv-z]{26}$/);
    const times = seen.map((id) => id.slice(3, 13));
    assert.deepEqual([...times].sort(), times, 'the time part never goes backwards');
  });
});
