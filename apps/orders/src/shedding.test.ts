/**
 * Load shedding of the Orders API as a client meets it: under pressure
 * sheddable work is refused first, critical work last and health never, and
 * one tenant's held 429s take no slot from another tenant.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { eventually } from '@steadfast/toolkit/testing';
import type { PriceQuote, PriceSource } from './domain/pricing.ts';
import { buildTestApp, ORDER_BODY } from './testing.ts';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of closers.reverse()) await close();
});

/** prices that answer only when the test says so: requests hold their slots meanwhile */
function heldPrices(): PriceSource & { release(): void; waiting(): number } {
  const held: (() => void)[] = [];
  let released = false;
  return {
    async quote(skus): Promise<PriceQuote> {
      if (!released) await new Promise<void>((resolve) => held.push(resolve));
      return {
        unitAmounts: new Map(skus.map((sku) => [sku, 100])),
        asOf: new Date().toISOString(),
        stale: false,
      };
    },
    release() {
      released = true;
      for (const resolve of held.splice(0)) resolve();
    },
    waiting: () => held.length,
  };
}

test('under pressure sheddable work is refused first, critical work last, health never', async () => {
  const prices = heldPrices();
  const app = await buildTestApp({ prices, traffic: { loadShedding: { fixedLimit: 10 } } });
  closers.push(() => app.close());
  // held requests must end even when an assertion fails, or closing the app waits for them
  after(() => prices.release());
  const base = await app.server.listen({ port: 0, host: '127.0.0.1' });
  const call = (method: string, path: string, headers: Record<string, string> = {}, body?: object) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${app.tenant.apiKey}`,
        ...(body ? { 'content-type': 'application/json', 'idempotency-key': randomUUID() } : {}),
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
    });
  const create = () => call('POST', '/v1/orders', {}, ORDER_BODY);
  // 5 creates (normal) hold their slots: sheddable work (a list) is refused, normal still admitted
  const holding = Array.from({ length: 5 }, create);
  await eventually(() => prices.waiting() === 5);
  const list = await call('GET', '/v1/orders');
  assert.equal(list.status, 503);
  assert.match(String(list.headers.get('content-type')), /^application\/problem\+json/);
  const listBody = (await list.json()) as { type: string; requestId: string; instance: string };
  assert.equal(listBody.type, '/problems/overloaded');
  assert.equal(listBody.instance, '/v1/orders');
  assert.equal(list.headers.get('x-request-id'), listBody.requestId);
  assert.ok(Number(list.headers.get('retry-after')) >= 1);
  holding.push(...Array.from({ length: 4 }, create));
  await eventually(() => prices.waiting() === 9);
  // 9 in flight: a tenth normal request is refused, a critical one (an operation read) is admitted
  const refused = await create();
  assert.equal(refused.status, 503);
  const critical = await call('GET', `/v1/operations/${app.built.ids.next('op')}`);
  assert.equal(critical.status, 404);
  const health = await call('GET', '/healthz');
  assert.equal(health.status, 200);
  // /metrics is added by observability, before most routes: still known, still exempt
  assert.equal((await call('GET', '/metrics')).status, 200);
  // a path no route serves is sheddable (a 404 when there is room)
  assert.equal((await call('GET', '/nowhere')).status, 503);
  prices.release();
  const answers = await Promise.all(holding);
  assert.deepEqual(
    answers.map((r) => r.status),
    Array(9).fill(201),
  );
  // slots are back: a list is served again
  assert.equal((await call('GET', '/v1/orders')).status, 200);
});

test("one tenant's held 429s give their shedding slots back: another tenant is still admitted", async () => {
  const app = await buildTestApp({
    traffic: {
      rateLimits: { limits: { writes: 1, reads: 5, 'long-polls': 2 }, windowS: 60, refusalDelayMs: 10_000 },
      loadShedding: { fixedLimit: 4 },
    },
  });
  closers.push(async () => {
    app.server.server.closeAllConnections(); // the held refusals' sockets
    await app.close();
  });
  const base = await app.server.listen({ port: 0, host: '127.0.0.1' });
  const create = (apiKey: string) =>
    fetch(`${base}/v1/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body: JSON.stringify(ORDER_BODY),
    });
  assert.equal((await create(app.tenant.apiKey)).status, 201); // tenant A's quota is spent
  // A floods: every refusal is held (10 s), more of them than the whole concurrency limit
  const flood = Array.from({ length: 8 }, () => create(app.tenant.apiKey));
  await eventually(async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    return /^steadfast_rate_limit_held_refusals 8$/m.test(text);
  });
  // the held refusals hold no slot: tenant B's create is admitted, not shed
  const other = await app.createTenant({ name: 'Tenant B' });
  const theirs = await create(other.apiKey);
  assert.equal(theirs.status, 201, await theirs.text());
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /^steadfast_inflight_requests 0$/m);
  // closing sends the held refusals (their fetches end with the connections)
  void Promise.allSettled(flood);
});
