/** The checker's client is a well-behaved client: a 429 with a short Retry-After is waited out and sent again. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClient } from './client.ts';

/** a fetch that answers from a script of statuses, recording what it was sent */
function scripted(statuses: { status: number; retryAfter?: string }[]) {
  const seen: { url: string; key?: string }[] = [];
  const fetch = (async (url: URL, init: RequestInit) => {
    seen.push({ url: String(url), key: (init.headers as Record<string, string>)['idempotency-key'] });
    const next = statuses.shift() ?? { status: 200 };
    return new Response(next.status === 200 ? '{"ok":true}' : '{"type":"/problems/rate-limited"}', {
      status: next.status,
      headers: next.retryAfter ? { 'retry-after': next.retryAfter } : {},
    });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, seen };
}

function clientWith(statuses: { status: number; retryAfter?: string }[]) {
  const { fetch, seen } = scripted(statuses);
  const waits: number[] = [];
  const client = createClient({
    baseUrl: 'http://api.test',
    maxRequests: 100,
    fetch,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { client, seen, waits };
}

test('a 429 with Retry-After is waited out and the same request sent again; the run counts it', async () => {
  const { client, seen, waits } = clientWith([
    { status: 429, retryAfter: '1' },
    { status: 429, retryAfter: '2' },
  ]);
  const answer = await client.send({
    method: 'POST',
    path: '/v1/orders',
    body: '{}',
    headers: { 'idempotency-key': 'k1' },
  });
  assert.equal(answer.status, 200);
  assert.equal(seen.length, 3);
  assert.deepEqual(
    seen.map((s) => s.key),
    ['k1', 'k1', 'k1'],
    'the same request, the same key',
  );
  assert.deepEqual(waits, [1050, 2050]);
  assert.deepEqual(client.paced(), { requests: 1, waitedS: 3 });
  assert.equal(client.sent(), 3, 'every attempt is in the budget');
});

test('pace: false, a Retry-After longer than the checker waits, or none: the 429 comes back as it was', async () => {
  for (const [statuses, pace] of [
    [[{ status: 429, retryAfter: '1' }], false],
    [[{ status: 429, retryAfter: '60' }], undefined],
    [[{ status: 429 }], undefined],
  ] as const) {
    const { client, seen, waits } = clientWith([...statuses]);
    const answer = await client.send({ method: 'GET', path: '/v1/orders', pace });
    assert.equal(answer.status, 429);
    assert.equal(seen.length, 1);
    assert.deepEqual(waits, []);
    assert.deepEqual(client.paced(), { requests: 0, waitedS: 0 });
  }
});

test('a target that keeps answering 429 is given up on after maxRetries', async () => {
  const { client, seen } = clientWith(Array.from({ length: 20 }, () => ({ status: 429, retryAfter: '1' })));
  const answer = await client.send({ method: 'GET', path: '/v1/orders' });
  assert.equal(answer.status, 429);
  assert.equal(seen.length, 6, 'the first try and 5 more');
});
