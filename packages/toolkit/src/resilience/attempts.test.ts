/** The dependency client's onAttempt: one record per attempt and per refused call, with kind, status and keys. */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  createDependencyClient,
  createEgressMetrics,
  EGRESS_KINDS,
  type EgressAttempt,
  egressKind,
  HttpStatusError,
  MalformedResponseError,
  NetworkError,
  TimeoutError,
  UnknownOutcomeError,
} from '@steadfast/toolkit/resilience';
import { createFakeClock } from '@steadfast/toolkit/testing';

const quiet = { info() {}, warn() {} };
const answers: (number | 'hang')[] = [];
const server = http.createServer((_request, response) => {
  const next = answers.shift() ?? 200;
  if (next === 'hang') return;
  response.writeHead(next, { 'content-type': 'application/json' }).end('{"ok":true}');
});
let url: string;
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

function client(baseUrl: string, extra: Partial<Parameters<typeof createDependencyClient>[0]> = {}) {
  const clock = createFakeClock(Date.UTC(2026, 0, 1));
  const dep = createDependencyClient({
    name: 'pricing',
    baseUrl,
    criticality: 'degradable',
    log: quiet,
    metrics: createEgressMetrics(),
    clock,
    random: () => 0.5,
    sleep: async () => {},
    // generous: the first fetch of a cold process on a loaded machine can take longer than 200 ms
    attemptTimeoutMs: 5000,
    ...extra,
  });
  const seen: EgressAttempt[] = [];
  dep.onAttempt((a) => seen.push(a));
  return { dep, seen, clock };
}

test('a 503 then a success: two records, numbered, with the outbound key, request id and status', async () => {
  const { dep, seen, clock } = client(url);
  answers.push(503);
  await dep.request({
    method: 'POST',
    path: '/charges',
    route: '/charges',
    body: {},
    idempotencyKey: 'pay:o1:1',
    requestId: 'req-1',
  });
  assert.deepEqual(
    seen.map(({ kind, status, attempt, outcome, idempotencyKey, requestId, route, at }) => ({
      kind,
      status,
      attempt,
      outcome,
      idempotencyKey,
      requestId,
      route,
      at,
    })),
    [
      {
        kind: '5xx',
        status: 503,
        attempt: 1,
        outcome: 'transient',
        idempotencyKey: 'pay:o1:1',
        requestId: 'req-1',
        route: '/charges',
        at: clock.now(),
      },
      {
        kind: 'success',
        status: 200,
        attempt: 2,
        outcome: 'success',
        idempotencyKey: 'pay:o1:1',
        requestId: 'req-1',
        route: '/charges',
        at: clock.now(),
      },
    ],
  );
  assert.equal(seen[0].error, 'pricing answered 503');
  assert.equal(seen[1].error, undefined);
});

test('429, 404, a hang and a refused connection each have their kind', async () => {
  const { dep, seen } = client(url, { maxAttempts: 1, attemptTimeoutMs: 200 });
  answers.push(429, 404, 'hang');
  for (let i = 0; i < 3; i++) await dep.request({ method: 'GET', path: '/x', route: '/x' }).catch(() => {});
  assert.deepEqual(
    seen.map((a) => [a.kind, a.status]),
    [
      ['429', 429],
      ['4xx', 404],
      ['timeout', undefined],
    ],
  );

  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const refused = client(`http://127.0.0.1:${port}`, { maxAttempts: 1 });
  await assert.rejects(refused.dep.request({ method: 'GET', path: '/x', route: '/x' }));
  assert.deepEqual(
    refused.seen.map((a) => [a.kind, a.outcome]),
    [['network', 'transient']],
  );
});

test('an open breaker refuses without an attempt, and that refusal is one record', async () => {
  const { dep, seen } = client(url, {
    maxAttempts: 1,
    breaker: { minimumRequests: 2, failureRateThreshold: 0.5 },
  });
  answers.push(503, 503);
  for (let i = 0; i < 2; i++) await dep.request({ method: 'GET', path: '/x', route: '/x' }).catch(() => {});
  assert.equal(dep.breaker.state(), 'open');
  await assert.rejects(dep.request({ method: 'GET', path: '/x', route: '/x', requestId: 'req-9' }));
  const last = seen.at(-1);
  assert.equal(seen.length, 3);
  assert.deepEqual(
    [last?.kind, last?.rejectedBy, last?.requestId, last?.status],
    ['rejected', 'breaker-open', 'req-9', undefined],
  );
});

test('a throwing listener is logged and never fails the call', async () => {
  const warned: string[] = [];
  const { dep } = client(url, { log: { info() {}, warn: (_f, m) => warned.push(m) } });
  dep.onAttempt(() => {
    throw new Error('recorder broke');
  });
  const result = await dep.request({ method: 'GET', path: '/x', route: '/x' });
  assert.equal(result.status, 200);
  assert.deepEqual(warned, ['attempt listener failed']);
});

test('egressKind looks through an unknown outcome to its cause', () => {
  assert.equal(egressKind(new UnknownOutcomeError('x', { cause: new TimeoutError('t') })), 'timeout');
  assert.equal(
    egressKind(new UnknownOutcomeError('x', { cause: new NetworkError('reset', true) })),
    'network',
  );
  assert.equal(egressKind(new HttpStatusError(500)), '5xx');
  assert.equal(egressKind(undefined), 'success');
});

test('egressKind of every failure, written out', () => {
  const table: [unknown, string][] = [
    [new BrokenCircuitError('open'), 'rejected'],
    [new BulkheadRejectedError('full'), 'rejected'],
    [new HttpStatusError(429), '429'],
    [new HttpStatusError(503), '5xx'],
    [new HttpStatusError(499), '4xx'],
    [new TimeoutError('slow'), 'timeout'],
    [Object.assign(new Error('platform'), { name: 'TimeoutError' }), 'timeout'],
    [new NetworkError('reset', true), 'network'],
    [new MalformedResponseError('bad json'), 'malformed'],
    [new Error('anything else'), 'network'],
    [null, 'network'],
  ];
  assert.deepEqual(
    table.map(([error]) => egressKind(error)),
    table.map(([, kind]) => kind),
  );
});

test('the kinds, in order', () => {
  assert.deepEqual(EGRESS_KINDS, [
    'success',
    'timeout',
    '5xx',
    '429',
    '4xx',
    'network',
    'malformed',
    'rejected',
  ]);
});
