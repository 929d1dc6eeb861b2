/** Usage of @steadfast/toolkit/observability on a bare Fastify app: request ids, traces, logs, metrics, health. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createBackgroundErrors,
  createHttpMetrics,
  createLogger,
  createRequestIdGenerator,
  observability,
  parseTraceparent,
  registerHealthRoutes,
  registerOnce,
} from '@steadfast/toolkit/observability';
import { coreProblems, createProblemRegistry, problems } from '@steadfast/toolkit/problems';
import { createLogCapture } from '@steadfast/toolkit/testing';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { Counter, Registry } from 'prom-client';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const logs = createLogCapture();
let databaseUp = true;
const metrics = createHttpMetrics(); // its own prom-client Registry: metrics.registry

async function buildApp() {
  // docs:start setup
  // typed as Fastify's base logger, so the app is a plain FastifyInstance that toolkit functions accept
  const logger: FastifyBaseLogger = createLogger({ destination: logs.stream }); // no destination: stdout
  const app = Fastify({
    loggerInstance: logger,
    genReqId: createRequestIdGenerator(), // keeps a sane incoming X-Request-Id, else req_…
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
  });
  await app.register(problems, { registry: createProblemRegistry(coreProblems) });
  await app.register(observability, { metrics }); // X-Request-Id, traceparent, one log line, GET /metrics
  registerHealthRoutes(app, {
    notReadyReason: async () => (databaseUp ? undefined : 'the database is unreachable'),
  });

  app.get<{ Params: { id: string } }>('/items/:id', async (request) => ({
    id: request.params.id,
    traceId: request.trace?.traceId, // from a valid incoming traceparent
  }));
  // docs:end setup
  return app;
}

let app: Awaited<ReturnType<typeof buildApp>>;
before(async () => {
  app = await buildApp();
});
after(() => app.close());

const get = (url: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, headers });

describe('request ids and trace context', () => {
  test('a sane incoming X-Request-Id is kept and echoed; problems carry it', async () => {
    const ok = await get('/items/1', { 'x-request-id': 'client-42.a:b' });
    assert.equal(ok.headers['x-request-id'], 'client-42.a:b');
    const missing = await get('/nowhere', { 'x-request-id': 'client-43' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().requestId, 'client-43');
  });

  test('a missing or insane X-Request-Id is replaced by a generated one', async () => {
    for (const bad of [undefined, 'has space', 'x'.repeat(129), '<script>']) {
      const response = await get('/items/1', bad === undefined ? {} : { 'x-request-id': bad });
      assert.match(String(response.headers['x-request-id']), /^req_[A-Za-z0-9_-]{16}$/);
    }
  });

  test('a valid traceparent is on request.trace; an invalid one is ignored', async () => {
    assert.equal(
      (await get('/items/1', { traceparent: TRACEPARENT })).json().traceId,
      TRACEPARENT.slice(3, 35),
    );
    for (const bad of ['garbage', `ff${TRACEPARENT.slice(2)}`, `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`]) {
      assert.equal((await get('/items/1', { traceparent: bad })).json().traceId, undefined, bad);
    }
    assert.equal(parseTraceparent(TRACEPARENT)?.parentId, '00f067aa0ba902b7');
    assert.equal(parseTraceparent(TRACEPARENT)?.header, TRACEPARENT);
  });
});

describe('logs', () => {
  test('one completion line per request: route template, status, duration, request id, trace id', async () => {
    await get('/items/7', { 'x-request-id': 'log-line-1', traceparent: TRACEPARENT });
    const lines = logs.lines().filter((l) => l.requestId === 'log-line-1');
    assert.equal(lines.length, 1);
    assert.equal(lines[0].msg, 'request completed');
    assert.equal(lines[0].route, '/items/:id');
    assert.equal(lines[0].status, 200);
    assert.equal(typeof lines[0].durationMs, 'number');
    assert.equal(lines[0].traceId, TRACEPARENT.slice(3, 35));
  });

  test('secrets are redacted wherever they sit', () => {
    const capture = createLogCapture();
    // docs:start logger
    const log = createLogger({ level: 'info', name: 'billing', destination: capture.stream });
    log.info({ apiKey: 'sf_live_abc', partner: { password: 'hunter2' } }, 'calling the partner');
    // → {"apiKey":"[redacted]","partner":{"password":"[redacted]"},...}
    // docs:end logger
    assert.doesNotMatch(capture.text(), /sf_live_abc|hunter2/);
    log.info({ headers: { authorization: 'Bearer sf_x' }, connectionString: 'postgres://u:p@h/db' }, 'x');
    assert.doesNotMatch(capture.text(), /sf_x|postgres:/);
    assert.equal(capture.lines()[0].name, 'billing');
    log.debug('below the level');
    assert.equal(capture.lines().length, 2);
  });
});

describe('metrics', () => {
  test('/metrics has the duration histogram by method, route template and status; unknown routes are "unmatched"', async () => {
    await get('/items/a');
    await get('/items/b');
    await get('/no/such/path/123');
    const response = await get('/metrics');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain/);
    const count = (labels: string) =>
      Number(
        new RegExp(`steadfast_http_request_duration_seconds_count\\{${labels}\\} (\\d+)`).exec(
          response.body,
        )?.[1],
      );
    assert.ok(count('method="GET",route="/items/{id}",status="200"') >= 2);
    assert.ok(count('method="GET",route="unmatched",status="404"') >= 1);
    assert.doesNotMatch(response.body, /no\/such\/path/);
  });

  test('background failures are logged and counted by component, never thrown', async () => {
    const capture = createLogCapture();
    // docs:start background-errors
    const errors = createBackgroundErrors({
      log: createLogger({ destination: capture.stream }),
      registry: metrics.registry, // counts steadfast_background_errors_total{component}
    });
    // work nobody awaits, e.g. a heartbeat: its failure is logged and counted, never lost
    const beat = sendHeartbeat().catch((error) => errors.report('heartbeat', error, { workerId: 'w1' }));
    // docs:end background-errors
    await beat;
    const line = capture.lines()[0];
    assert.equal(line.level, 40);
    assert.equal(line.component, 'heartbeat');
    assert.equal(line.workerId, 'w1');
    assert.equal((line.err as { message: string }).message, 'connection reset');
    assert.match(
      await metrics.registry.metrics(),
      /steadfast_background_errors_total\{component="heartbeat"\} 1/,
    );
  });
});

async function sendHeartbeat(): Promise<void> {
  throw new Error('connection reset');
}

describe('health', () => {
  test('/healthz is always ok; /readyz is 200 when ready, else a retryable 503 not-ready with the reason', async () => {
    assert.deepEqual((await get('/healthz')).json(), { status: 'ok' });
    assert.deepEqual((await get('/readyz')).json(), { status: 'ready' });
    databaseUp = false;
    try {
      const response = await get('/readyz');
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers['retry-after'], '1');
      const body = response.json();
      assert.equal(body.type, '/problems/not-ready');
      assert.equal(body.category, 'dependency');
      assert.equal(body.retryable, true);
      assert.equal(body.detail, 'the database is unreachable');
      assert.deepEqual((await get('/healthz')).json(), { status: 'ok' });
    } finally {
      databaseUp = true;
    }
  });

  test('a readiness check that throws is a 503 too, naming the failure', async (t) => {
    const probe = Fastify();
    t.after(() => probe.close());
    await probe.register(problems, { registry: createProblemRegistry(coreProblems) });
    registerHealthRoutes(probe, {
      notReadyReason: async () => {
        throw new Error('ECONNREFUSED 127.0.0.1:5432');
      },
    });
    const response = await probe.inject({ method: 'GET', url: '/readyz' });
    assert.equal(response.statusCode, 503);
    assert.equal(response.json().detail, 'check failed: ECONNREFUSED 127.0.0.1:5432');
  });

  test('metric factories called twice on one registry share their metrics', () => {
    const registry = new Registry();
    const first = createHttpMetrics({ registry });
    const second = createHttpMetrics({ registry });
    assert.equal(second.httpDuration, first.httpDuration);
    const make = () => new Counter({ name: 'shop_things_total', help: 'things', registers: [registry] });
    const a = registerOnce(registry, 'shop_things_total', make);
    assert.equal(registerOnce(registry, 'shop_things_total', make), a);
    assert.throws(make, /already been registered/, 'without registerOnce prom-client refuses the second');
  });
});
