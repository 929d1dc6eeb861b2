/**
 * Cancellation and the half-open breaker: a caller that gives up while queued
 * or while a retry sleeps leaves at once and leaves nothing behind; a probe
 * that answers 429 (or is abandoned by its caller) frees its slot, so the
 * breaker can still close or open again.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { eventually } from '../testing/eventually.ts';
import { createFakeClock } from '../testing/fake-clock.ts';
import { circuitBreaker } from './breaker.ts';
import { bulkhead } from './bulkhead.ts';
import { BrokenCircuitError, HttpStatusError } from './errors.ts';
import { createDependencyClient } from './http-client.ts';
import { createEgressMetrics } from './metrics.ts';
import { retry } from './retry.ts';

const fail = (status: number) => Promise.reject(new HttpStatusError(status));
const is429 = (e: unknown) => e instanceof HttpStatusError && e.status === 429;

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('bulkhead: a caller that gives up while queued', () => {
  test('leaves the queue with its abort reason; its work never runs; the slot count is intact', async () => {
    const limiter = bulkhead({ maxConcurrent: 1, maxQueue: 5 });
    const g = gate();
    const running = limiter.execute(() => g.opened.then(() => 'first'));
    const controller = new AbortController();
    let ran = false;
    const queued = limiter.execute(
      async () => {
        ran = true;
      },
      { signal: controller.signal },
    );
    assert.equal(limiter.queued(), 1);
    controller.abort(new Error('client went away'));
    await assert.rejects(queued, /client went away/);
    assert.equal(limiter.queued(), 0);
    g.open();
    assert.equal(await running, 'first');
    assert.equal(ran, false);
    assert.equal(limiter.active(), 0);
    // the slot is really free: a new call runs at once
    assert.equal(await limiter.execute(async () => 'next'), 'next');
  });

  test('a caller already aborted is refused at once instead of waiting for a slot', async () => {
    const limiter = bulkhead({ maxConcurrent: 1, maxQueue: 5 });
    const g = gate();
    const running = limiter.execute(() => g.opened);
    const controller = new AbortController();
    controller.abort(new Error('gone before it queued'));
    let ran = false;
    const late = limiter.execute(
      async () => {
        ran = true;
      },
      { signal: controller.signal },
    );
    assert.equal(limiter.queued(), 0, 'an aborted call takes no place in the queue');
    await assert.rejects(late, /gone before it queued/);
    g.open();
    await running;
    assert.equal(ran, false);
    assert.equal(limiter.active(), 0);
  });
});

describe('retry: an abort during the backoff sleep', () => {
  test('ends the call with the abort reason; no further attempt starts', async () => {
    const policy = retry({
      maxAttempts: 5,
      baseDelayMs: 60_000,
      maxDelayMs: 60_000,
      random: () => 0.99,
      shouldRetry: () => true,
    });
    const controller = new AbortController();
    let attempts = 0;
    const sleeping = gate();
    policy.onRetry(() => sleeping.open());
    const call = policy.execute(
      () => {
        attempts++;
        return fail(503);
      },
      { signal: controller.signal },
    );
    await sleeping.opened;
    controller.abort(new Error('caller cancelled'));
    await assert.rejects(call, /caller cancelled/);
    assert.equal(attempts, 1);
  });
});

describe('circuitBreaker: ignored and abandoned probes', () => {
  async function halfOpen(options: Parameters<typeof circuitBreaker>[0] = {}) {
    const clock = createFakeClock(0);
    const breaker = circuitBreaker({ minimumRequests: 1, openMs: 100, isIgnored: is429, clock, ...options });
    await assert.rejects(breaker.execute(() => fail(503)));
    assert.equal(breaker.state(), 'open');
    clock.advance(100);
    assert.equal(breaker.state(), 'half-open');
    return { breaker, clock };
  }

  test('a probe answered 429 frees the probe slot: the next call probes and closes it', async () => {
    const { breaker } = await halfOpen();
    await assert.rejects(
      breaker.execute(() => fail(429)),
      HttpStatusError,
    );
    assert.equal(breaker.state(), 'half-open', 'back-pressure says nothing about health');
    assert.equal(await breaker.execute(async () => 'probe'), 'probe');
    assert.equal(breaker.state(), 'closed');
  });

  test('a probe answered 429, then a failing probe: it opens again', async () => {
    const { breaker } = await halfOpen();
    await assert.rejects(
      breaker.execute(() => fail(429)),
      HttpStatusError,
    );
    await assert.rejects(
      breaker.execute(() => fail(503)),
      HttpStatusError,
    );
    assert.equal(breaker.state(), 'open');
    await assert.rejects(
      breaker.execute(async () => 'x'),
      BrokenCircuitError,
    );
  });

  test('two probes, one succeeds and the other answers 429: it closes when the last one ends', async () => {
    const { breaker } = await halfOpen({ halfOpenProbes: 2 });
    const g = gate();
    const ignored = breaker.execute(() => g.opened.then(() => fail(429)));
    assert.equal(await breaker.execute(async () => 'ok'), 'ok');
    assert.equal(breaker.state(), 'half-open', 'one probe is still out');
    g.open();
    await assert.rejects(ignored, HttpStatusError);
    assert.equal(breaker.state(), 'closed');
  });

  test('a probe whose caller gave up counts neither way and frees its slot', async () => {
    const { breaker } = await halfOpen();
    const controller = new AbortController();
    const probe = breaker.execute(
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      { signal: controller.signal },
    );
    controller.abort(new Error('caller left'));
    await assert.rejects(probe, /caller left/);
    assert.equal(breaker.state(), 'half-open', 'an abandoned probe neither opens nor closes it');
    assert.equal(await breaker.execute(async () => 'probe'), 'probe');
    assert.equal(breaker.state(), 'closed');
  });
});

describe('the dependency client: 429 while half-open, and a caller abort', () => {
  async function partner(answers: (number | 'hang')[]) {
    let requests = 0;
    const server = http.createServer((_request, response) => {
      requests++;
      const next = answers.shift() ?? 200;
      if (next === 'hang') return;
      response
        .writeHead(next, {
          'content-type': 'application/json',
          ...(next === 429 ? { 'retry-after': '0' } : {}),
        })
        .end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      url,
      requests: () => requests,
      close() {
        server.closeAllConnections();
        server.close();
      },
    };
  }
  function client(url: string) {
    const clock = createFakeClock(Date.UTC(2026, 0, 1));
    const dep = createDependencyClient({
      name: 'pricing',
      baseUrl: url,
      criticality: 'degradable',
      log: { info() {}, warn() {} },
      metrics: createEgressMetrics(),
      clock,
      random: () => 0,
      sleep: async () => {},
      attemptTimeoutMs: 2000,
      maxAttempts: 1,
      breaker: { minimumRequests: 1, openMs: 1000 },
    });
    return { dep, clock };
  }
  const get = { method: 'GET', path: '/p', route: '/p' } as const;

  test('a half-open probe answered 429 does not leave the breaker stuck: the next 200 closes it', async () => {
    const p = await partner([503, 429, 200]);
    const { dep, clock } = client(p.url);
    try {
      await assert.rejects(dep.request(get), HttpStatusError);
      assert.equal(dep.status().breaker, 'open');
      clock.advance(1000);
      await assert.rejects(dep.request(get), (e) => e instanceof HttpStatusError && e.status === 429);
      assert.equal(dep.status().breaker, 'half-open');
      assert.equal((await dep.request(get)).status, 200);
      assert.equal(dep.status().breaker, 'closed');
      assert.equal(p.requests(), 3);
    } finally {
      dep.close();
      p.close();
    }
  });

  test('a caller who aborts gets its own reason back, and the breaker does not count it as a failure', async () => {
    const p = await partner(['hang', 'hang']);
    const { dep } = client(p.url);
    try {
      for (let i = 0; i < 2; i++) {
        const controller = new AbortController();
        const call = dep.request({ ...get, signal: controller.signal });
        await eventually(() => p.requests() === i + 1);
        controller.abort();
        await assert.rejects(call, (e) => (e as Error).name === 'AbortError');
      }
      assert.equal(dep.status().breaker, 'closed', 'the partner never failed: the callers left');
    } finally {
      dep.close();
      p.close();
    }
  });
});
