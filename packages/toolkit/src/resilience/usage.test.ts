/**
 * Usage of @steadfast/toolkit/resilience: one typed pipeline (fallback, retry,
 * breaker, timeout), a client for one dependency against a real HTTP server
 * that fails on command, and a stale-if-error cache in front of it. Time is a
 * fake clock and pauses are recorded, so nothing here waits on wall time
 * except the timeouts of hanging requests.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import {
  BrokenCircuitError,
  type Cached,
  circuitBreaker,
  createDependencyClient,
  createEgressMetrics,
  type DependencyClient,
  dependencyProblem,
  dependencyProblems,
  type EgressMetrics,
  fallback,
  HttpStatusError,
  pipeline,
  retry,
  staleIfError,
  TimeoutError,
  timeout,
} from '@steadfast/toolkit/resilience';
import { createFakeClock, createLogCapture, eventually, type FakeClock } from '@steadfast/toolkit/testing';
import Fastify from 'fastify';

/** Pauses between attempts advance the fake clock instead of waiting; the test reads them back. */
function fakeSleep(clock: FakeClock) {
  const pauses: number[] = [];
  const sleep = async (ms: number) => {
    pauses.push(ms);
    clock.advance(ms);
  };
  return { pauses, sleep };
}

describe('pipeline: fallback + retry + breaker + timeout', () => {
  test('retries mask a failure and a hang; in an outage the breaker opens and the fallback answers', async () => {
    const clock = createFakeClock(0);
    const { pauses, sleep } = fakeSleep(clock);
    const random = () => 0.5;
    const script: ('fail' | 'hang' | 'ok')[] = ['fail', 'hang', 'ok'];
    const seen: { attempt: number; signal: AbortSignal }[] = [];
    async function fetchRecommendations(signal: AbortSignal, attempt: number): Promise<string[]> {
      seen.push({ attempt, signal });
      const step = script.shift() ?? 'fail';
      if (step === 'fail') throw new HttpStatusError(503);
      if (step === 'hang')
        return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      return ['SKU-2', 'SKU-3'];
    }

    // docs:start pipeline
    // clock, random and sleep are the test's; leave them out in production
    const breaker = circuitBreaker({ minimumRequests: 4, openMs: 5000, clock });
    const recommendations = pipeline(
      fallback(() => null), // outermost: answers only once everything inside gave up
      retry({
        maxAttempts: 3,
        shouldRetry: (error) => !(error instanceof BrokenCircuitError), // an open circuit says the same again
        clock,
        random,
        sleep,
      }),
      breaker, // judges every attempt
      timeout({ timeoutMs: 20, clock }), // each attempt's own limit; its signal cancels the work
    );
    const skus: string[] | null = await recommendations.execute(
      ({ signal, attempt }) => fetchRecommendations(signal, attempt),
      { deadline: clock.now() + 1000 }, // retries never sleep past it, nor start an attempt that cannot finish
    );
    // docs:end pipeline

    assert.deepEqual(skus, ['SKU-2', 'SKU-3'], 'the third attempt answered');
    assert.deepEqual(
      seen.map((s) => s.attempt),
      [1, 2, 3],
    );
    assert.equal(seen[1].signal.aborted, true, 'the hanging attempt was cancelled by its timeout');
    assert.deepEqual(pauses, [25, 50], 'full jitter: random × min(maxDelayMs, 50 × 2^(n−1))');

    // an outage: the 4th attempt in the window fails and opens the circuit (3 of 4 failed)
    assert.equal(
      await recommendations.execute(({ signal, attempt }) => fetchRecommendations(signal, attempt)),
      null,
    );
    assert.equal(breaker.state(), 'open');
    const calls = seen.length;
    assert.equal(
      await recommendations.execute(({ signal, attempt }) => fetchRecommendations(signal, attempt)),
      null,
    );
    assert.equal(seen.length, calls, 'while open, the dependency is not called at all');

    // after openMs one probe goes through; its success closes the circuit
    clock.advance(5000);
    script.push('ok');
    assert.deepEqual(
      await recommendations.execute(({ signal, attempt }) => fetchRecommendations(signal, attempt)),
      ['SKU-2', 'SKU-3'],
    );
    assert.equal(breaker.state(), 'closed');
  });

  test('a fallback adds its type to the result; `when` picks the failures it answers', async () => {
    const degraded = { items: [] as string[], degraded: true };
    const policy = pipeline(
      fallback(
        () => degraded,
        (error) => !(error instanceof HttpStatusError && error.status === 404),
      ),
      timeout({ timeoutMs: 1000 }),
      retry({ maxAttempts: 1, shouldRetry: () => false }),
      circuitBreaker(),
    );
    const ok: { items: string[] } | typeof degraded = await policy.execute(async () => ({ items: ['A'] }));
    assert.deepEqual(ok, { items: ['A'] });
    assert.equal(await policy.execute(() => Promise.reject(new HttpStatusError(503))), degraded);
    await assert.rejects(
      policy.execute(() => Promise.reject(new HttpStatusError(404))),
      HttpStatusError,
    );
  });
});

/** A partner on a real socket that answers 200 `{ sku, unitAmount }` unless told to fail. */
interface Fault {
  status?: number;
  retryAfter?: string;
  hang?: boolean;
}
function startPartner() {
  const queue: Fault[] = [];
  const state = { requests: 0, cancelled: 0, always: undefined as Fault | undefined };
  const server = http.createServer((request, response) => {
    state.requests++;
    const fault = queue.shift() ?? state.always;
    if (fault?.hang) {
      response.on('close', () => state.cancelled++);
      return;
    }
    response.setHeader('content-type', 'application/json');
    if (fault?.retryAfter) response.setHeader('retry-after', fault.retryAfter);
    response.statusCode = fault?.status ?? 200;
    const sku = request.url?.split('?')[0].split('/').pop();
    response.end(JSON.stringify(fault?.status ? { error: 'chaos' } : { sku, unitAmount: 1250 }));
  });
  return {
    state,
    /** the next requests fail like this, one fault each */
    next: (...faults: Fault[]) => queue.push(...faults),
    /** every request (after the queued ones) fails like this */
    always: (fault: Fault | undefined) => {
      state.always = fault;
    },
    reset() {
      queue.length = 0;
      Object.assign(state, { requests: 0, cancelled: 0, always: undefined });
    },
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () =>
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
        ),
      ),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('createDependencyClient against a partner that fails on command', () => {
  const partner = startPartner();
  let partnerUrl: string;
  let clock: FakeClock;
  let pauses: number[];
  let logs: ReturnType<typeof createLogCapture>;
  let dep: { pricing: DependencyClient; metrics: EgressMetrics };

  before(async () => {
    partnerUrl = await partner.listen();
  });
  after(() => partner.close());
  beforeEach(() => {
    partner.reset();
    clock = createFakeClock(Date.UTC(2026, 0, 1));
    const fake = fakeSleep(clock);
    pauses = fake.pauses;
    const deterministic = { clock, random: () => 0.5, sleep: fake.sleep };
    logs = createLogCapture();
    const app = Fastify({ logger: { stream: logs.stream } });

    // docs:start client
    const metrics = createEgressMetrics(); // or createEgressMetrics(yourPromRegistry)
    const pricing = createDependencyClient({
      name: 'pricing',
      criticality: 'degradable',
      baseUrl: partnerUrl,
      attemptTimeoutMs: 250,
      maxAttempts: 3,
      maxDelayMs: 2000, // also the longest Retry-After waited for
      breaker: { minimumRequests: 4 },
      log: app.log, // or any pino logger: one `egress` line per attempt
      metrics,
      ...deterministic, // the test's clock, random and sleep; leave them out in production
    });
    // docs:end client
    dep = { pricing, metrics };
  });
  afterEach(() => dep.pricing.close());

  async function price(sku: string) {
    const { pricing } = dep;
    // docs:start request
    const { body } = await pricing.request<{ unitAmount: number }>({
      method: 'GET',
      path: `/v1/prices/${encodeURIComponent(sku)}`,
      route: '/v1/prices/{sku}', // the template, for logs and metrics
      deadline: clock.now() + 3000, // all attempts and pauses fit in it
      requestId: 'req_1', // forwarded as X-Request-Id, like traceparent
    });
    // docs:end request
    return body.unitAmount;
  }

  test('5xx: retried with backoff until an attempt succeeds, one log line and one metric per attempt', async () => {
    partner.next({ status: 503 }, { status: 502 });
    assert.equal(await price('SKU-1'), 1250);
    assert.equal(partner.state.requests, 3);
    assert.deepEqual(pauses, [12, 25]); // 0.5 × min(2000, 25 × 2^(n−1)), floored
    assert.deepEqual(
      logs
        .lines()
        .filter((l) => l.msg === 'egress')
        .map((l) => [l.attempt, l.status, l.outcome, l.route]),
      [
        [1, 503, 'transient', '/v1/prices/{sku}'],
        [2, 502, 'transient', '/v1/prices/{sku}'],
        [3, 200, 'success', '/v1/prices/{sku}'],
      ],
    );
    assert.equal((await dep.metrics.retries.get()).values[0].value, 2);
  });

  test('a hanging partner: each attempt times out and is cancelled; the caller gets a 504 problem', async () => {
    partner.always({ hang: true });
    const error = await price('SKU-1').catch((e: unknown) => e);
    assert.ok(error instanceof TimeoutError);
    assert.equal(partner.state.requests, 3);
    await eventually(() => partner.state.cancelled === 3, { message: 'every hanging request was aborted' });

    // docs:start problem
    const problem = dependencyProblem('pricing', error); // → dependency-timeout (504) or dependency-unavailable (503)
    // docs:end problem
    assert.equal(problem.slug, 'dependency-timeout');
    assert.equal(dependencyProblems.find((p) => p.slug === problem.slug)?.status, 504);
    assert.deepEqual(problem.extensions, { dependency: 'pricing' });
    assert.equal(problem.headers['Retry-After'], '1');
  });

  test('Retry-After is honoured; one longer than maxDelayMs ends the retries instead of retrying early', async () => {
    partner.next({ status: 503, retryAfter: '1' });
    assert.equal(await price('SKU-1'), 1250);
    assert.deepEqual(pauses, [1000], 'waited exactly what the partner asked');

    partner.reset();
    partner.next({ status: 429, retryAfter: '30' });
    const error = await price('SKU-1').catch((e: unknown) => e);
    assert.ok(error instanceof HttpStatusError);
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterMs, 30_000, 'pass it on: dependencyProblem(name, error, 30)');
    assert.equal(partner.state.requests, 1);
  });

  test('429 is back-pressure: it spends the retry budget but never opens the breaker; 5xx does', async () => {
    partner.always({ status: 429, retryAfter: '0' });
    for (let i = 0; i < 10; i++) await assert.rejects(price('SKU-1'), HttpStatusError);
    assert.equal(dep.pricing.status().breaker, 'closed');
    assert.ok(
      (await dep.metrics.budgetExhausted.get()).values[0].value > 0,
      'the budget stopped the retries',
    );
    assert.ok(partner.state.requests < 30, `${partner.state.requests} requests for 10 calls`);

    // the spent budget leaves one attempt per call: four failed attempts open the circuit
    partner.always({ status: 503 });
    for (let i = 0; i < 4; i++) await assert.rejects(price('SKU-1'), HttpStatusError);
    assert.equal(dep.pricing.status().breaker, 'open');
    const requests = partner.state.requests;
    await assert.rejects(price('SKU-1'), BrokenCircuitError);
    assert.equal(partner.state.requests, requests, 'an open breaker answers without calling');
    const rejected = (await dep.metrics.rejections.get()).values.find(
      (v) => v.labels.reason === 'breaker-open',
    );
    assert.ok(rejected && rejected.value >= 1);
  });

  test('staleIfError in front of the client: a stale price, marked stale, while the partner fails', async () => {
    const { pricing } = dep;
    // docs:start stale-if-error
    const prices = staleIfError<string, number>({ freshMs: 30_000, maxStaleMs: 600_000, clock });
    const quote = (sku: string): Promise<Cached<number>> =>
      prices.get(
        sku,
        async ({ signal, deadline }) => {
          const { body } = await pricing.request<{ unitAmount: number }>({
            method: 'GET',
            path: `/v1/prices/${encodeURIComponent(sku)}`,
            route: '/v1/prices/{sku}',
            signal,
            deadline,
          });
          return body.unitAmount;
        },
        { deadline: clock.now() + 1000 },
      );
    // docs:end stale-if-error

    const loadedAt = clock.now();
    assert.deepEqual(await quote('SKU-1'), { value: 1250, loadedAt, stale: false });
    clock.advance(10_000);
    assert.equal((await quote('SKU-1')).stale, false, 'fresh: answered from the cache');
    assert.equal(partner.state.requests, 1);

    partner.always({ status: 503 });
    clock.advance(60_000);
    assert.deepEqual(await quote('SKU-1'), { value: 1250, loadedAt, stale: true });
    // nothing cached for SKU-2, and SKU-1's entry is too old: the failure surfaces (here, the circuit opened)
    await assert.rejects(quote('SKU-2'), BrokenCircuitError);
    clock.advance(600_000);
    await assert.rejects(quote('SKU-1'), Error);
  });
});

describe('staleIfError as the first member of a pipeline', () => {
  test('pipeline(cache, retry, timeout) answers Cached<V> for the key in the context', async () => {
    const clock = createFakeClock(0);
    const { sleep } = fakeSleep(clock);
    const random = () => 0.5;
    let partnerUp = true;
    let loads = 0;
    const loadRate = async ({ signal }: { signal: AbortSignal }) => {
      loads++;
      signal.throwIfAborted();
      if (!partnerUp) throw new HttpStatusError(503);
      return 1.08;
    };

    // docs:start keyed-pipeline
    const rates = pipeline(
      staleIfError<string, number>({ maxStaleMs: 3_600_000, clock }), // first: it holds the last good answer
      retry({ maxAttempts: 2, shouldRetry: () => true, clock, random, sleep }),
      timeout({ timeoutMs: 200, clock }),
    );
    const rate: Cached<number> = await rates.execute(loadRate, { key: 'EUR-USD' });
    // docs:end keyed-pipeline

    assert.deepEqual(rate, { value: 1.08, loadedAt: 0, stale: false });
    partnerUp = false;
    clock.advance(60_000);
    assert.deepEqual(await rates.execute(loadRate, { key: 'EUR-USD' }), {
      value: 1.08,
      loadedAt: 0,
      stale: true,
    });
    assert.equal(loads, 3, 'one load, then two failed attempts before the stale answer');
    await assert.rejects(rates.execute(loadRate, { key: 'EUR-GBP' }), HttpStatusError);
  });
});
