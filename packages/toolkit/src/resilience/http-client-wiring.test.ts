/**
 * createDependencyClient's wiring, with a recording fetch in place of the
 * network: what each request sends, how each answer is read, the log line,
 * metrics and status() per attempt, and the defaults. Expected values are
 * written out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { fetch as undiciFetch } from 'undici';
import { createFakeClock } from '../testing/fake-clock.ts';
import { metricValues } from '../testing/metric-values.ts';
import { HttpStatusError, UnknownOutcomeError } from './errors.ts';
import { createDependencyClient } from './http-client.ts';
import { createEgressMetrics } from './metrics.ts';

type Sent = { url: string; method: string; headers: Record<string, string>; body: string | undefined };
type Logged = { level: 'info' | 'warn'; fields: Record<string, unknown>; message: string };

function harness(
  answers: (Response | Error | Promise<Response>)[],
  extra: Partial<Parameters<typeof createDependencyClient>[0]> = {},
) {
  const sent: Sent[] = [];
  const logged: Logged[] = [];
  const pauses: number[] = [];
  const clock = createFakeClock(Date.UTC(2026, 0, 1));
  const metrics = createEgressMetrics();
  const fetch = async (
    url: URL,
    init: { method: string; headers: Record<string, string>; body?: string },
  ) => {
    sent.push({ url: String(url), method: init.method, headers: init.headers, body: init.body });
    const next = answers.shift() ?? new Response('{"ok":true}', { status: 200 });
    if (next instanceof Error) throw next;
    return await next;
  };
  const dep = createDependencyClient({
    name: 'pricing',
    baseUrl: 'http://partner.test/api',
    criticality: 'degradable',
    log: {
      info: (fields, message) => logged.push({ level: 'info', fields, message }),
      warn: (fields, message) => logged.push({ level: 'warn', fields, message }),
    },
    metrics,
    clock,
    random: () => 0.5,
    sleep: async (ms) => {
      pauses.push(ms);
      clock.advance(ms);
    },
    fetch: fetch as unknown as typeof undiciFetch,
    ...extra,
  });
  return { dep, sent, logged, pauses, metrics, clock };
}

const json = (status: number, body: string, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { 'content-type': 'application/json', ...headers } });

test('a GET: the URL with its query, accept, the request id and the caller’s traceparent; no body', async (t) => {
  const { dep, sent } = harness([json(200, '{"amount":5}')]);
  t.after(() => dep.close());
  const result = await dep.request<{ amount: number }>({
    method: 'GET',
    path: '/items/7',
    route: '/items/{id}',
    query: { currency: 'EUR', n: '2' },
    requestId: 'req-1',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  });
  assert.deepEqual(result, { status: 200, body: { amount: 5 } });
  assert.deepEqual(sent, [
    {
      url: 'http://partner.test/api/items/7?currency=EUR&n=2',
      method: 'GET',
      headers: {
        accept: 'application/json',
        'x-request-id': 'req-1',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
      body: undefined,
    },
  ]);
});

test('a keyed POST: a JSON body, its content type and the Idempotency-Key; an empty answer has no body', async (t) => {
  const { dep, sent } = harness([new Response('', { status: 201 })]);
  t.after(() => dep.close());
  const result = await dep.request({
    method: 'POST',
    path: '/charges',
    route: '/charges',
    body: { amount: 1 },
    idempotencyKey: 'charge:o1:1',
  });
  assert.deepEqual(result, { status: 201, body: undefined });
  assert.deepEqual(sent[0].headers, {
    accept: 'application/json',
    'content-type': 'application/json',
    'idempotency-key': 'charge:o1:1',
  });
  assert.equal(sent[0].body, '{"amount":1}');
});

test('a failure status: HttpStatusError naming the dependency, with the body and Retry-After', async (t) => {
  const { dep } = harness([json(404, '{"title":"no such item"}', { 'retry-after': '2' })]);
  t.after(() => dep.close());
  await assert.rejects(dep.request({ method: 'GET', path: '/x', route: '/x' }), (error) => {
    assert.ok(error instanceof HttpStatusError);
    assert.equal(error.status, 404);
    assert.equal(error.message, 'pricing answered 404');
    assert.deepEqual(error.body, { title: 'no such item' });
    assert.equal(error.retryAfterMs, 2000);
    return true;
  });
});

test('a failure status with a body that is not JSON is still that status, with no body', async (t) => {
  const { dep } = harness([new Response('<html>bad gateway</html>', { status: 400 })]);
  t.after(() => dep.close());
  await assert.rejects(dep.request({ method: 'GET', path: '/x', route: '/x' }), (error) => {
    assert.ok(error instanceof HttpStatusError);
    assert.equal(error.status, 400);
    assert.equal(error.body, undefined);
    return true;
  });
});

test('a 200 that is not JSON is malformed, named', async (t) => {
  const { dep } = harness([new Response('not json', { status: 200 })]);
  t.after(() => dep.close());
  await assert.rejects(dep.request({ method: 'GET', path: '/x', route: '/x' }), {
    name: 'MalformedResponseError',
    message: 'pricing answered 200 with invalid JSON',
  });
});

test('a reset after an unkeyed write was sent: an unknown outcome, its message naming the dependency', async (t) => {
  const reset = Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
  });
  const { dep, sent } = harness([reset]);
  t.after(() => dep.close());
  await assert.rejects(dep.request({ method: 'POST', path: '/c', route: '/c', body: {} }), (error) => {
    assert.ok(error instanceof UnknownOutcomeError);
    assert.equal(error.message, 'pricing: ECONNRESET: socket hang up after the request was sent');
    return true;
  });
  assert.equal(sent.length, 1);
});

test('the defaults: 3 attempts, backoff from 25 ms (random 0.5: 12 then 25 ms)', async (t) => {
  const { dep, sent, pauses } = harness([json(503, '{}'), json(503, '{}'), json(503, '{}'), json(200, '{}')]);
  t.after(() => dep.close());
  await assert.rejects(dep.request({ method: 'GET', path: '/x', route: '/x' }), HttpStatusError);
  assert.equal(sent.length, 3);
  assert.deepEqual(pauses, [12, 25]);
});

test('one egress log line per attempt; the retry and the outcomes in metrics and status()', async (t) => {
  const { dep, logged, metrics } = harness([json(503, '{}'), json(200, '{"ok":true}')]);
  t.after(() => dep.close());
  await dep.request({ method: 'GET', path: '/x', route: '/x' });
  assert.deepEqual(
    logged.map(({ level, message, fields: { durationMs, ...rest } }) => ({
      level,
      message,
      fields: rest,
      durationMs: typeof durationMs,
    })),
    [
      {
        level: 'info',
        message: 'egress',
        fields: {
          dependency: 'pricing',
          method: 'GET',
          route: '/x',
          status: 503,
          attempt: 1,
          outcome: 'transient',
        },
        durationMs: 'number',
      },
      {
        level: 'info',
        message: 'egress',
        fields: {
          dependency: 'pricing',
          method: 'GET',
          route: '/x',
          status: 200,
          attempt: 2,
          outcome: 'success',
        },
        durationMs: 'number',
      },
    ],
  );
  assert.deepEqual(await metricValues(metrics.retries), [{ labels: { dependency: 'pricing' }, value: 1 }]);
  const counts = (await metrics.duration.get()).values
    .filter((v) => v.metricName === 'steadfast_egress_duration_seconds_count')
    .map(({ labels, value }) => ({ labels, value }));
  assert.deepEqual(counts, [
    { labels: { dependency: 'pricing', outcome: 'transient' }, value: 1 },
    { labels: { dependency: 'pricing', outcome: 'success' }, value: 1 },
  ]);
  const status = dep.status();
  assert.deepEqual(
    { ...status, budgetRemaining: typeof status.budgetRemaining },
    {
      name: 'pricing',
      criticality: 'degradable',
      breaker: 'closed',
      budgetRemaining: 'number',
      recentOutcomes: { success: 1, transient: 1 },
    },
  );
  assert.deepEqual(await metricValues(metrics.breakerState), [
    { labels: { dependency: 'pricing', criticality: 'degradable' }, value: 0 },
  ]);
});

test('the breaker opening and closing: logged, the refusal counted, the gauge at 2 then 0', async (t) => {
  const { dep, logged, metrics, clock } = harness([json(503, '{}'), json(503, '{}')], {
    maxAttempts: 1,
    breaker: { minimumRequests: 2, failureRateThreshold: 0.5, openMs: 1000 },
  });
  t.after(() => dep.close());
  for (let i = 0; i < 2; i++) await dep.request({ method: 'GET', path: '/x', route: '/x' }).catch(() => {});
  assert.deepEqual(
    logged.filter((l) => l.message !== 'egress'),
    [{ level: 'warn', fields: { dependency: 'pricing', failureRate: 1 }, message: 'circuit opened' }],
  );
  await assert.rejects(dep.request({ method: 'GET', path: '/x', route: '/x' }), {
    name: 'BrokenCircuitError',
  });
  assert.deepEqual(await metricValues(metrics.rejections), [
    { labels: { dependency: 'pricing', reason: 'breaker-open' }, value: 1 },
  ]);
  assert.equal(dep.status().breaker, 'open');
  assert.deepEqual(await metricValues(metrics.breakerState), [
    { labels: { dependency: 'pricing', criticality: 'degradable' }, value: 2 },
  ]);
  clock.advance(1000);
  await dep.request({ method: 'GET', path: '/x', route: '/x' });
  assert.deepEqual(logged.at(-1), {
    level: 'info',
    fields: { dependency: 'pricing' },
    message: 'circuit closed',
  });
  assert.equal(dep.status().breaker, 'closed');
});

test('a full bulkhead: counted as bulkhead-full and recorded as a refused call', async (t) => {
  let release: (r: Response) => void = () => {};
  const held = new Promise<Response>((resolve) => {
    release = resolve;
  });
  const { dep, metrics } = harness([held], { bulkhead: { maxConcurrent: 1, maxQueue: 0 }, maxAttempts: 1 });
  t.after(() => dep.close());
  const records: unknown[] = [];
  dep.onAttempt(({ kind, rejectedBy, attempt, status, outcome }) =>
    records.push({ kind, rejectedBy, attempt, status, outcome }),
  );
  // the first call holds the only slot
  const first = dep.request({
    method: 'GET',
    path: '/slow',
    route: '/slow',
    attempt: 2,
  });
  await assert.rejects(dep.request({ method: 'GET', path: '/x', route: '/x', attempt: 2 }), {
    name: 'BulkheadRejectedError',
  });
  release(new Response('{}', { status: 200 }));
  await first;
  assert.deepEqual(await metricValues(metrics.rejections), [
    { labels: { dependency: 'pricing', reason: 'bulkhead-full' }, value: 1 },
  ]);
  assert.deepEqual(records[0], {
    kind: 'rejected',
    rejectedBy: 'bulkhead-full',
    attempt: 2,
    status: undefined,
    outcome: 'transient',
  });
});
