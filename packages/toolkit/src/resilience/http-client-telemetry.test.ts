/**
 * What createDependencyClient reports about each attempt, with a recording
 * fetch and a recording tracer: the span per attempt, durations, which failures
 * the breaker counts, the retry budget and bulkhead metrics. Literal expectations.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { fetch as undiciFetch } from 'undici';
import type { Tracer } from '../observability/index.ts';
import { createFakeClock } from '../testing/fake-clock.ts';
import { metricValues } from '../testing/metric-values.ts';
import { createDependencyClient } from './http-client.ts';
import { createEgressMetrics } from './metrics.ts';

type Answer = Response | Error | null | Promise<Response>;

function harness(answers: Answer[], extra: Partial<Parameters<typeof createDependencyClient>[0]> = {}) {
  const clock = createFakeClock(Date.UTC(2026, 0, 1));
  const metrics = createEgressMetrics();
  const logged: { fields: Record<string, unknown>; message: string }[] = [];
  const fetch = async () => {
    const next = answers.length > 0 ? answers.shift() : new Response('{}', { status: 200 });
    if (next === null || next instanceof Error) throw next;
    return await next;
  };
  const dep = createDependencyClient({
    name: 'pricing',
    baseUrl: 'http://partner.test',
    criticality: 'critical',
    log: {
      info: (fields, message) => logged.push({ fields, message }),
      warn: (fields, message) => logged.push({ fields, message }),
    },
    metrics,
    clock,
    random: () => 0,
    sleep: async () => {},
    fetch: fetch as unknown as typeof undiciFetch,
    ...extra,
  });
  return { dep, metrics, clock, logged };
}

const reset = () =>
  Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
  });

type Recorded = { name: string; attributes: Record<string, unknown>; status?: unknown; ended: boolean };

function recordingTracer() {
  const spans: Recorded[] = [];
  const tracer = {
    startSpan(name: string, options: { kind: number; attributes: Record<string, unknown> }) {
      const span: Recorded = {
        name,
        attributes: { kind: options.kind, ...options.attributes },
        ended: false,
      };
      spans.push(span);
      return {
        spanContext: () => ({
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: `b7ad6b716920333${spans.length}`,
          traceFlags: 1,
        }),
        setAttribute: (key: string, value: unknown) => {
          span.attributes[key] = value;
        },
        setStatus: (status: unknown) => {
          span.status = status;
        },
        end: () => {
          span.ended = true;
        },
      };
    },
  };
  return { tracer: tracer as unknown as Tracer, spans };
}

test('one CLIENT span per attempt: name, attributes, resend count, status code, outcome, error status', async (t) => {
  const { tracer, spans } = recordingTracer();
  const { dep } = harness(
    [new Response('{}', { status: 503 }), reset(), new Response('{}', { status: 200 })],
    { tracer },
  );
  t.after(() => dep.close());
  await dep.request({ method: 'GET', path: '/items/1', route: '/items/{id}', attempt: 1 });
  const common = {
    kind: 2,
    'http.request.method': 'GET',
    'url.template': '/items/{id}',
    'server.address': 'partner.test',
    'steadfast.dependency': 'pricing',
  };
  assert.deepEqual(spans, [
    {
      name: 'GET /items/{id}',
      attributes: {
        ...common,
        'steadfast.attempt': 1,
        'http.response.status_code': 503,
        'steadfast.outcome': 'transient',
      },
      status: { code: 2, message: 'transient' },
      ended: true,
    },
    {
      name: 'GET /items/{id}',
      attributes: {
        ...common,
        'steadfast.attempt': 2,
        'http.request.resend_count': 1,
        'steadfast.outcome': 'transient',
      },
      status: { code: 2, message: 'transient' },
      ended: true,
    },
    {
      name: 'GET /items/{id}',
      attributes: {
        ...common,
        'steadfast.attempt': 3,
        'http.request.resend_count': 2,
        'http.response.status_code': 200,
        'steadfast.outcome': 'success',
      },
      ended: true,
    },
  ]);
});

test('the attempt span’s traceparent is sent, not the caller’s', async (t) => {
  const { tracer } = recordingTracer();
  const sent: Record<string, string>[] = [];
  const { dep } = harness([], {
    tracer,
    fetch: (async (_url: URL, init: { headers: Record<string, string> }) => {
      sent.push(init.headers);
      return new Response('{}', { status: 200 });
    }) as unknown as typeof undiciFetch,
  });
  t.after(() => dep.close());
  await dep.request({
    method: 'GET',
    path: '/x',
    route: '/x',
    traceparent: '00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01',
  });
  assert.equal(sent[0].traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
});

test('durations: the log line rounded to 0.01 ms, the record exact (performance.now mocked)', async (t) => {
  let perfNow = 1000;
  t.mock.method(performance, 'now', () => perfNow);
  const { dep, logged, metrics } = harness([], {
    fetch: (async () => {
      perfNow = 1250.123;
      return new Response('{}', { status: 200 });
    }) as unknown as typeof undiciFetch,
  });
  t.after(() => dep.close());
  const records: number[] = [];
  dep.onAttempt((a) => records.push(a.durationMs));
  await dep.request({ method: 'GET', path: '/x', route: '/x' });
  assert.equal(logged.find((l) => l.message === 'egress')?.fields.durationMs, 250.12);
  assert.equal(Math.round(records[0] * 1000), 250_123);
  const sum = (await metrics.duration.get()).values.find(
    (v) => v.metricName === 'steadfast_egress_duration_seconds_sum',
  );
  assert.equal(Math.round((sum?.value ?? 0) * 1_000_000), 250_123);
});

test('the breaker counts unknown outcomes of unkeyed writes, never 4xx answers', async (t) => {
  const opts = { maxAttempts: 1, breaker: { minimumRequests: 2, failureRateThreshold: 0.5 } };
  const writes = harness([reset(), reset()], opts);
  t.after(() => writes.dep.close());
  for (let i = 0; i < 2; i++) {
    await assert.rejects(writes.dep.request({ method: 'POST', path: '/c', route: '/c', body: {} }), {
      name: 'UnknownOutcomeError',
    });
  }
  assert.equal(writes.dep.breaker.state(), 'open');

  const notFound = harness(
    [
      new Response('{}', { status: 404 }),
      new Response('{}', { status: 404 }),
      new Response('{}', { status: 404 }),
    ],
    opts,
  );
  t.after(() => notFound.dep.close());
  for (let i = 0; i < 3; i++)
    await notFound.dep.request({ method: 'GET', path: '/x', route: '/x' }).catch(() => {});
  assert.equal(notFound.dep.breaker.state(), 'closed');
});

test('an open breaker is not retried: one refusal, one record', async (t) => {
  const { dep, metrics } = harness(
    [new Response('{}', { status: 503 }), new Response('{}', { status: 503 })],
    {
      maxAttempts: 3,
      breaker: { minimumRequests: 2, failureRateThreshold: 0.5 },
    },
  );
  t.after(() => dep.close());
  await dep.request({ method: 'GET', path: '/x', route: '/x' }).catch(() => {});
  assert.equal(dep.breaker.state(), 'open');
  const records: unknown[] = [];
  dep.onAttempt((a) => records.push(a.rejectedBy));
  await assert.rejects(dep.request({ method: 'GET', path: '/x', route: '/x' }), {
    name: 'BrokenCircuitError',
  });
  assert.deepEqual(records, ['breaker-open']);
  // one for the first call's third attempt, one for this call: neither was retried
  assert.deepEqual(await metricValues(metrics.rejections), [
    { labels: { dependency: 'pricing', reason: 'breaker-open' }, value: 2 },
  ]);
});

test('a spent retry budget is counted per dependency', async (t) => {
  const { dep, metrics } = harness([new Response('{}', { status: 503 })], {
    budget: { ratio: 0, minRetriesPerSecond: 0 },
  });
  t.after(() => dep.close());
  await assert.rejects(dep.request({ method: 'GET', path: '/x', route: '/x' }), { name: 'HttpStatusError' });
  assert.deepEqual(await metricValues(metrics.budgetExhausted), [
    { labels: { dependency: 'pricing' }, value: 1 },
  ]);
});

test('a queued call past its deadline: bulkhead-queue-timeout, counted and recorded', async (t) => {
  let release: (r: Response) => void = () => {};
  const held = new Promise<Response>((resolve) => {
    release = resolve;
  });
  const { dep, metrics, clock } = harness([held], {
    bulkhead: { maxConcurrent: 1, maxQueue: 1 },
    maxAttempts: 1,
  });
  t.after(() => dep.close());
  const records: unknown[] = [];
  dep.onAttempt(({ kind, rejectedBy, durationMs }) => records.push({ kind, rejectedBy, durationMs }));
  const first = dep.request({ method: 'GET', path: '/slow', route: '/slow' });
  await assert.rejects(dep.request({ method: 'GET', path: '/x', route: '/x', deadline: clock.now() + 100 }), {
    name: 'BulkheadRejectedError',
  });
  release(new Response('{}', { status: 200 }));
  await first;
  assert.deepEqual(await metricValues(metrics.rejections), [
    { labels: { dependency: 'pricing', reason: 'bulkhead-queue-timeout' }, value: 1 },
  ]);
  assert.deepEqual(records[0], { kind: 'rejected', rejectedBy: 'bulkhead-queue-timeout', durationMs: 0 });
});

test('a fetch that rejects with null: the caller gets null, the record says "null"', async (t) => {
  const { dep } = harness([null], { maxAttempts: 1 });
  t.after(() => dep.close());
  const errors: unknown[] = [];
  dep.onAttempt((a) => errors.push(a.error));
  await assert.rejects(dep.request({ method: 'GET', path: '/x', route: '/x' }), (e) => e === null);
  assert.deepEqual(errors, ['null']);
});

test('a throwing attempt listener is logged with the dependency and the error', async (t) => {
  const { dep, logged } = harness([]);
  t.after(() => dep.close());
  const broke = new Error('recorder broke');
  dep.onAttempt(() => {
    throw broke;
  });
  await dep.request({ method: 'GET', path: '/x', route: '/x' });
  assert.deepEqual(
    logged.filter((l) => l.message === 'attempt listener failed'),
    [{ fields: { dependency: 'pricing', err: broke }, message: 'attempt listener failed' }],
  );
});
