import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '../harness.ts';

let sandbox: RunningSandbox;
let base: string;
before(async () => {
  sandbox = await startSandbox();
  base = sandbox.base;
});
after(() => sandbox.close());

const json = { 'content-type': 'application/json' };

describe('pricing', () => {
  test('deterministic per SKU and currency; EUR by default', async () => {
    const a = (await (await fetch(`${base}/pricing/v1/prices/SKU-1`)).json()) as {
      unitAmount: number;
      currency: string;
    };
    const b = (await (await fetch(`${base}/pricing/v1/prices/SKU-1?currency=EUR`)).json()) as {
      unitAmount: number;
    };
    const usd = (await (await fetch(`${base}/pricing/v1/prices/SKU-1?currency=USD`)).json()) as {
      unitAmount: number;
    };
    assert.equal(a.currency, 'EUR');
    assert.equal(a.unitAmount, b.unitAmount);
    assert.notEqual(a.unitAmount, usd.unitAmount);
  });

  test('PUT sets a price; DELETE makes a SKU unknown (404); bad SKUs are 404', async () => {
    await fetch(`${base}/pricing/v1/prices/SET-1`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({ unitAmount: 1002, currency: 'EUR' }),
    });
    assert.equal(
      ((await (await fetch(`${base}/pricing/v1/prices/SET-1`)).json()) as { unitAmount: number }).unitAmount,
      1002,
    );
    await fetch(`${base}/pricing/v1/prices/GONE-1`, { method: 'DELETE' });
    assert.equal((await fetch(`${base}/pricing/v1/prices/GONE-1`)).status, 404);
    assert.equal((await fetch(`${base}/pricing/v1/prices/bad%20sku`)).status, 404);
  });
});

describe('messaging, analytics, recommendations', () => {
  test('messages are idempotent by key and land in the ledger', async () => {
    const send = () =>
      fetch(`${base}/messaging/v1/messages`, {
        method: 'POST',
        headers: { ...json, 'idempotency-key': 'notify:evt_1' },
        body: JSON.stringify({ to: 'a@example.com', template: 'order.paid', data: { orderId: 'o1' } }),
      });
    const first = (await (await send()).json()) as { id: string; status: string };
    const second = (await (await send()).json()) as { id: string };
    assert.equal(first.status, 'queued');
    assert.equal(second.id, first.id);
    const ledger = (await (await fetch(`${base}/messaging/ledger`)).json()) as { data: unknown[] };
    assert.equal(ledger.data.length, 1);
  });

  test('analytics accepts batches (202) and keeps them', async () => {
    const response = await fetch(`${base}/analytics/v1/events`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ events: [{ type: 'a' }, { type: 'b' }] }),
    });
    assert.equal(response.status, 202);
    const ledger = (await (await fetch(`${base}/analytics/ledger`)).json()) as { data: unknown[] };
    assert.equal(ledger.data.length, 2);
  });

  test('recommendations are deterministic', async () => {
    const a = await (await fetch(`${base}/recommendations/v1/recommendations?sku=SKU-1`)).json();
    const b = await (await fetch(`${base}/recommendations/v1/recommendations?sku=SKU-1`)).json();
    assert.deepEqual(a, b);
    assert.equal((a as { items: unknown[] }).items.length, 3);
  });
});
