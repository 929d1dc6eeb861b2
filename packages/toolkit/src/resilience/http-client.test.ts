/**
 * createDependencyClient against a real tiny HTTP server: which failures are
 * retried, which end the call, and which become an unknown outcome — for a
 * GET, an unkeyed write and a keyed write.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { createFakeClock } from '../testing/fake-clock.ts';
import {
  HttpStatusError,
  MalformedResponseError,
  NetworkError,
  TimeoutError,
  UnknownOutcomeError,
} from './errors.ts';
import { createDependencyClient } from './http-client.ts';
import { createEgressMetrics } from './metrics.ts';

type Behaviour =
  | number
  | { status: number; headers?: Record<string, string>; body?: string }
  | 'hang'
  | 'reset'
  | 'lost';

const plan: Behaviour[] = [];
const seen: { method: string; key: string | undefined; requestId: string | undefined }[] = [];
const server = http.createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    seen.push({
      method: request.method ?? '',
      key: request.headers['idempotency-key'] as string | undefined,
      requestId: request.headers['x-request-id'] as string | undefined,
    });
    const next = plan.shift() ?? 200;
    if (next === 'hang') return;
    if (next === 'reset') return request.socket.destroy(); // the request arrived; no answer ever will
    if (next === 'lost') {
      // the answer starts, then the connection dies mid-body
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"unit');
      return setImmediate(() => request.socket.destroy());
    }
    const { status, headers, body } = typeof next === 'number' ? { status: next } : next;
    response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body ?? '{"ok":true}');
  });
});
let url: string;
let refusedUrl: string;
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // a port that was free a moment ago: nothing listens there
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  refusedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise((resolve) => probe.close(resolve));
});
after(() => {
  server.closeAllConnections();
  server.close();
});
afterEach(() => {
  plan.length = 0;
  seen.length = 0;
  server.closeAllConnections();
});

const clients: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

function client(extra: Partial<Parameters<typeof createDependencyClient>[0]> = {}) {
  const clock = createFakeClock(Date.UTC(2026, 0, 1));
  const pauses: number[] = [];
  const metrics = createEgressMetrics();
  const dep = createDependencyClient({
    name: 'pricing',
    baseUrl: url,
    criticality: 'degradable',
    log: { info() {}, warn() {} },
    metrics,
    clock,
    random: () => 0.5,
    sleep: async (ms) => {
      pauses.push(ms);
      clock.advance(ms);
    },
    attemptTimeoutMs: 150,
    maxAttempts: 3,
    maxDelayMs: 2000,
    breaker: { minimumRequests: 100 },
    ...extra,
  });
  clients.push(dep);
  return { dep, pauses, clock, metrics };
}

const get = { method: 'GET', path: '/p', route: '/p' } as const;
const unkeyed = { method: 'POST', path: '/charges', route: '/charges', body: { amount: 1 } } as const;
const keyed = { ...unkeyed, idempotencyKey: 'charge:o1:1' } as const;

describe('timeouts', () => {
  test('a GET that hangs is retried, then fails with TimeoutError', async () => {
    const { dep } = client();
    plan.push('hang', 'hang', 'hang');
    await assert.rejects(dep.request(get), TimeoutError);
    assert.equal(seen.length, 3);
  });

  test('an unkeyed write that hangs is an unknown outcome, never repeated', async () => {
    const { dep } = client();
    plan.push('hang');
    const error = await dep.request(unkeyed).catch((e: unknown) => e);
    assert.equal(seen.length, 1, 'a write that may have acted is never sent again without a key');
    assert.ok(error instanceof UnknownOutcomeError, String(error));
    assert.ok(error.cause instanceof TimeoutError);
    assert.equal(seen.length, 1);
  });

  test('a keyed write that hangs is retried with the same key and can succeed', async () => {
    const { dep } = client();
    plan.push('hang', 201);
    assert.equal((await dep.request(keyed)).status, 201);
    assert.deepEqual(
      seen.map((s) => s.key),
      ['charge:o1:1', 'charge:o1:1'],
    );
  });
});

describe('a reset after the request was sent', () => {
  test('unkeyed write: an unknown outcome, one request', async () => {
    const { dep } = client();
    plan.push('reset');
    const error = await dep.request(unkeyed).catch((e: unknown) => e);
    assert.ok(error instanceof UnknownOutcomeError, String(error));
    assert.ok(error.cause instanceof NetworkError);
    assert.equal(error.cause.maybeDelivered, true);
    assert.equal(seen.length, 1);
  });

  test('keyed write: retried, the second attempt answers', async () => {
    const { dep } = client();
    plan.push('reset', 201);
    assert.equal((await dep.request(keyed)).status, 201);
    assert.equal(seen.length, 2);
  });

  test('a lost response (the body dies mid-way): a GET is retried, an unkeyed write is an unknown outcome', async () => {
    const { dep } = client();
    plan.push('lost', 200);
    assert.deepEqual((await dep.request(get)).body, { ok: true });
    assert.equal(seen.length, 2);
    plan.push('lost');
    assert.ok((await dep.request(unkeyed).catch((e: unknown) => e)) instanceof UnknownOutcomeError);
    assert.equal(seen.length, 3);
  });
});

describe('requests that never left', () => {
  test('a refused connection is a NetworkError not sent, retried even for an unkeyed write', async () => {
    const { dep } = client({ baseUrl: refusedUrl });
    let attempts = 0;
    dep.onAttempt(() => attempts++);
    const error = await dep.request(unkeyed).catch((e: unknown) => e);
    assert.ok(error instanceof NetworkError, String(error));
    assert.equal(error.maybeDelivered, false);
    assert.match(error.message, /^ECONNREFUSED/);
    assert.equal(attempts, 3);
  });

  test('a name that does not resolve is a NetworkError not sent', async () => {
    const { dep } = client({ baseUrl: 'http://nonexistent.invalid', attemptTimeoutMs: 3000, maxAttempts: 2 });
    let attempts = 0;
    dep.onAttempt(() => attempts++);
    const error = await dep.request(unkeyed).catch((e: unknown) => e);
    assert.ok(error instanceof NetworkError, String(error));
    assert.equal(error.maybeDelivered, false);
    assert.match(error.message, /^(ENOTFOUND|EAI_AGAIN)/);
    assert.equal(attempts, 2);
  });
});

describe('answers that are not a success', () => {
  test('4xx ends the call at once; 5xx is retried with backoff', async () => {
    const { dep, pauses } = client();
    plan.push(404);
    const notFound = await dep.request(get).catch((e: unknown) => e);
    assert.ok(notFound instanceof HttpStatusError);
    assert.equal(notFound.status, 404);
    assert.deepEqual(notFound.body, { ok: true });
    assert.equal(seen.length, 1);
    plan.push(400);
    await assert.rejects(dep.request(get), (e) => e instanceof HttpStatusError && e.status === 400);
    assert.equal(seen.length, 2);
    plan.push(500, 503);
    assert.equal((await dep.request(get)).status, 200);
    assert.equal(seen.length, 5);
    assert.deepEqual(pauses, [12, 25]); // 0.5 × 25 × 2^(n−1), floored
  });

  test('429: Retry-After within maxDelayMs is waited for exactly, seconds or an HTTP date', async () => {
    const { dep, pauses } = client();
    plan.push({ status: 429, headers: { 'retry-after': '2' } });
    assert.equal((await dep.request(get)).status, 200);
    plan.push({ status: 429, headers: { 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' } });
    assert.equal((await dep.request(get)).status, 200);
    // the fake clock stood at 00:00:02 after the first pause: one more second
    assert.deepEqual(pauses, [2000, 1000]);
    assert.equal(seen.length, 4);
  });

  test('429 with a Retry-After longer than maxDelayMs ends the retries', async () => {
    const { dep, pauses } = client();
    plan.push({ status: 429, headers: { 'retry-after': '30' } });
    const error = await dep.request(get).catch((e: unknown) => e);
    assert.ok(error instanceof HttpStatusError);
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterMs, 30_000);
    assert.deepEqual(pauses, []);
    assert.equal(seen.length, 1);
  });

  test('a 2xx with a body that is not JSON is malformed and not retried', async () => {
    const { dep } = client();
    plan.push({ status: 200, body: '<html>' });
    await assert.rejects(dep.request(get), MalformedResponseError);
    assert.equal(seen.length, 1);
  });
});

describe('the retry budget', () => {
  test('a spent budget ends the retries; the window moving on restores it', async () => {
    const { dep, clock, metrics } = client({
      budget: { ratio: 0, minRetriesPerSecond: 0.1, windowMs: 10_000 }, // one retry per window
    });
    plan.push(503, 503, 503);
    await assert.rejects(dep.request(get), (e) => e instanceof HttpStatusError && e.status === 503);
    assert.equal(seen.length, 2, 'one retry, then the budget said no');
    assert.equal(dep.status().budgetRemaining, 0);
    plan.push(503);
    await assert.rejects(dep.request(get), HttpStatusError);
    assert.equal(seen.length, 3, 'no retry at all');
    assert.equal((await metrics.budgetExhausted.get()).values[0].value, 2);
    assert.equal((await metrics.retries.get()).values[0].value, 1);
    clock.advance(11_000);
    assert.equal(dep.status().budgetRemaining, 1);
  });

  test('every attempt carries the request id; the request id and key are the same on a retry', async () => {
    const { dep } = client();
    plan.push(503);
    await dep.request({ ...keyed, requestId: 'req_7' });
    assert.deepEqual(seen, [
      { method: 'POST', key: 'charge:o1:1', requestId: 'req_7' },
      { method: 'POST', key: 'charge:o1:1', requestId: 'req_7' },
    ]);
  });
});
