/**
 * The gate without a server, with a recording limiter, a fake clock and
 * stand-in requests: what is admitted, what each release teaches the limiter
 * (once per request), the refusal's bytes, the shed counters, and the
 * summary's timing and flush. The server side is in server-factory.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { Registry } from 'prom-client';
import { createFakeClock } from '../testing/index.ts';
import { createGate } from './gate.ts';
import { asRes, recordingLimiter, request, response } from './gate-harness.ts';
import type { Criticality } from './limiter.ts';
import { loadSheddingProblems, overloaded } from './problems.ts';

function gateWith(options: Partial<Parameters<typeof createGate>[0]> = {}, room = 1) {
  const { limiter, calls } = recordingLimiter(room);
  const clock = createFakeClock(1_000);
  const warned: [Record<string, unknown>, string][] = [];
  const gate = createGate({
    limiter,
    clock,
    requestId: () => 'req_x',
    log: { warn: (fields, message) => warned.push([fields, message]) },
    ...options,
  });
  for (const [method, url, criticality] of [
    ['GET', '/health', 'exempt'],
    ['GET', '/x', 'critical'],
    ['GET', '/list', 'sheddable'],
  ] as const)
    gate.addRoute({ method, url, config: { criticality: criticality as Criticality } });
  return { gate, calls, clock, warned };
}

describe('admit and release', () => {
  test('exempt routes pass without touching the limiter', () => {
    const { gate, calls } = gateWith();
    assert.equal(gate.admit(request('/health?full=1', 'GET'), asRes(response())), true);
    assert.deepEqual(calls, []);
  });

  test('a finished response releases once with its latency; an unfinished one without a sample', () => {
    const { gate, calls, clock } = gateWith({}, 2);
    const done = response();
    const cut = response();
    assert.equal(gate.admit(request('/x', 'GET'), asRes(done)), true);
    assert.equal(gate.admit(request('/x', 'GET'), asRes(cut)), true);
    clock.advance(42);
    done.writableFinished = true;
    done.emit('close');
    cut.emit('close');
    done.emit('close');
    assert.deepEqual(calls, [
      'tryAcquire critical',
      'tryAcquire critical',
      'release 42',
      'release undefined',
    ]);
  });

  test('giveBack releases at once without a sample, and the later close releases nothing; unknown responses are a no-op', () => {
    const { gate, calls } = gateWith();
    const res = response();
    gate.admit(request('/x', 'GET'), asRes(res));
    gate.giveBack(asRes(res));
    gate.giveBack(asRes(res));
    res.writableFinished = true;
    res.emit('close');
    gate.giveBack(asRes(response()));
    assert.deepEqual(calls, ['tryAcquire critical', 'release undefined']);
  });

  test('the path is the URL up to its query; no URL is /, no method is GET; unknown paths are sheddable', () => {
    const { gate, calls } = gateWith({}, 0);
    const refusals = [
      [request('/x?secret=1', 'GET'), '/x', 'critical'],
      [request(undefined, 'GET'), '/', 'sheddable'],
      [request('/x', undefined), '/x', 'critical'],
      [request('?only=query', 'GET'), '', 'sheddable'],
    ] as const;
    for (const [req, instance, criticality] of refusals) {
      const res = response();
      calls.length = 0;
      assert.equal(gate.admit(req, asRes(res)), false);
      assert.deepEqual(calls, [`tryAcquire ${criticality}`]);
      assert.equal(JSON.parse(res.body).instance, instance);
    }
  });

  test('a request not measured is admitted by class and never acquires or releases', () => {
    const { gate, calls } = gateWith({ measure: () => false });
    const res = response();
    assert.equal(gate.admit(request('/x', 'GET'), asRes(res)), true);
    res.emit('close');
    assert.deepEqual(calls, ['admits critical']);
  });
});

describe('the refusal', () => {
  test('503 problem+json with its length, Retry-After and the request id, the overloaded body', () => {
    const { gate } = gateWith({ retryAfterS: 0 }, 0);
    const res = response();
    gate.admit(request('/list', 'GET'), asRes(res));
    assert.equal(res.status, 503);
    assert.deepEqual(res.headers, [
      'content-type',
      'application/problem+json; charset=utf-8',
      'content-length',
      String(Buffer.byteLength(res.body)),
      'retry-after',
      '0',
      'x-request-id',
      'req_x',
    ]);
    assert.deepEqual(JSON.parse(res.body), {
      type: '/problems/overloaded',
      title: 'The service is overloaded',
      status: 503,
      detail: 'The service is at its concurrency limit; nothing was done. Retry after 0 s.',
      instance: '/list',
      category: 'rate-limited',
      retryable: true,
      requestId: 'req_x',
    });
  });

  test('overloaded() and the problem type, as registered', () => {
    const problem = overloaded(3);
    assert.equal(problem.slug, 'overloaded');
    assert.equal(
      problem.detail,
      'The service is at its concurrency limit; nothing was done. Retry after 3 s.',
    );
    assert.deepEqual(problem.headers, { 'Retry-After': '3' });
    const [type] = loadSheddingProblems;
    assert.deepEqual(
      [type.slug, type.status, type.category, type.retryable],
      ['overloaded', 503, 'rate-limited', true],
    );
    assert.match(type.description, /^The service is at its concurrency limit and refused the request/);
  });

  test('each refusal is counted by its class; every class is there from the start', async () => {
    const registry = new Registry();
    const { gate } = gateWith({ registry }, 0);
    gate.admit(request('/list', 'GET'), asRes(response()));
    gate.admit(request('/list', 'GET'), asRes(response()));
    gate.admit(request('/x', 'GET'), asRes(response()));
    const shed = await registry.getSingleMetric('steadfast_shed_requests_total')?.get();
    assert.deepEqual(Object.fromEntries((shed?.values ?? []).map((v) => [v.labels.criticality, v.value])), {
      critical: 1,
      normal: 0,
      sheddable: 2,
    });
  });
});

describe('the shedding summary', () => {
  test('one line per interval (1 s by default) with the counts since the last, then the counts start again', (t) => {
    mock.timers.enable({ apis: ['setTimeout'] });
    t.after(() => mock.timers.reset());
    const { gate, warned } = gateWith({}, 0);
    gate.admit(request('/list', 'GET'), asRes(response()));
    gate.admit(request('/x', 'GET'), asRes(response()));
    mock.timers.tick(999);
    assert.equal(warned.length, 0);
    mock.timers.tick(1);
    assert.deepEqual(warned, [
      [
        { shed: { critical: 1, normal: 0, sheddable: 1 }, limit: 0, inflight: 0, intervalMs: 1000 },
        'requests shed: the service is at its concurrency limit',
      ],
    ]);
    gate.admit(request('/list', 'GET'), asRes(response()));
    mock.timers.tick(1000);
    assert.deepEqual(warned[1][0].shed, { critical: 0, normal: 0, sheddable: 1 });
    mock.timers.tick(5000);
    assert.equal(warned.length, 2, 'no refusals, no line');
  });

  test('close() flushes a pending summary at once (and none when nothing is pending); useLog is the fallback only', () => {
    const { gate, warned } = gateWith({ summaryIntervalMs: 60_000 }, 0);
    gate.useLog({ warn: () => assert.fail('the given log is kept') });
    gate.admit(request('/list', 'GET'), asRes(response()));
    gate.close();
    assert.equal(warned.length, 1);
    assert.equal(warned[0][0].intervalMs, 60_000);
    gate.close();
    assert.equal(warned.length, 1);
    const fallback: string[] = [];
    const { limiter } = recordingLimiter(0);
    const unlogged = createGate({ limiter, requestId: () => 'r' });
    unlogged.useLog({ warn: (_f, m) => fallback.push(m) });
    unlogged.admit(request('/nope', 'GET'), asRes(response()));
    unlogged.close();
    assert.deepEqual(fallback, ['requests shed: the service is at its concurrency limit']);
  });

  test('Retry-After must be a whole number of seconds, 0 included', () => {
    const { limiter } = recordingLimiter();
    for (const bad of [-1, 0.5, Number.NaN])
      assert.throws(() => createGate({ limiter, retryAfterS: bad }), {
        message: `retryAfterS must be a whole number of seconds ≥ 0, got ${bad}`,
      });
    createGate({ limiter, retryAfterS: 0 }).close();
  });
});
