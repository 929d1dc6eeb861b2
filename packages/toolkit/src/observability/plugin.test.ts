/**
 * The observability plugin without a tracer: the traceparent carried on, the
 * completion line and the duration histogram (a controlled clock), `/metrics`
 * and the health routes hidden from the API document.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { coreProblems, createProblemRegistry, problems } from '../problems/index.ts';
import { createLogCapture } from '../testing/log-capture.ts';
import { metricValues } from '../testing/metric-values.ts';
import { registerHealthRoutes } from './health.ts';
import { createLogger } from './logger.ts';
import { createHttpMetrics } from './metrics.ts';
import { observability, requestTraceparent } from './plugin.ts';
import { createRequestIdGenerator } from './request-id.ts';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

async function buildApp() {
  const logs = createLogCapture();
  const metrics = createHttpMetrics();
  const routes: [string, unknown][] = [];
  const logger: FastifyBaseLogger = createLogger({ destination: logs.stream });
  const app = Fastify({ loggerInstance: logger, genReqId: createRequestIdGenerator() });
  app.addHook('onRoute', (route) => {
    routes.push([route.url, route.schema]);
  });
  await app.register(problems, { registry: createProblemRegistry(coreProblems) });
  await app.register(observability, { metrics });
  registerHealthRoutes(app, { notReadyReason: async () => undefined });
  return { app, logs, metrics, routes };
}

describe('requestTraceparent without tracing', () => {
  test("the client's traceparent as received; none without one", async (t) => {
    const { app } = await buildApp();
    t.after(() => app.close());
    app.get('/tp', async (request) => ({ tp: requestTraceparent(request) ?? 'none' }));
    assert.deepEqual((await app.inject({ url: '/tp', headers: { traceparent: TRACEPARENT } })).json(), {
      tp: TRACEPARENT,
    });
    assert.deepEqual((await app.inject({ url: '/tp' })).json(), { tp: 'none' });
  });
});

describe('the completion line and the histogram', () => {
  test('duration in ms rounded to 2 decimals, in seconds in the histogram; no trace id without a traceparent', async (t) => {
    const { app, logs, metrics } = await buildApp();
    t.after(() => app.close());
    let clock = 1000;
    t.mock.method(performance, 'now', () => clock);
    app.get('/timed/:id', async () => {
      clock = 1012.3456;
      return { ok: true };
    });
    const response = await app.inject({ url: '/timed/1', headers: { 'x-request-id': 'timed-1' } });
    t.mock.restoreAll();
    assert.equal(response.statusCode, 200);
    const line = logs.lines().find((l) => l.reqId === 'timed-1' && l.msg === 'request completed');
    assert.ok(line);
    assert.deepEqual(
      [
        line.msg,
        line.method,
        line.route,
        line.status,
        line.durationMs,
        'traceId' in line,
        'trace_id' in line,
      ],
      ['request completed', 'GET', '/timed/:id', 200, 12.35, false, false],
    );
    const buckets = (await metricValues(metrics.registry, 'steadfast_http_request_duration_seconds'))
      .filter((s) => s.metricName === 'steadfast_http_request_duration_seconds_bucket')
      .map((s) => [s.labels.le, s.value]);
    assert.deepEqual(buckets, [
      [0.001, 0],
      [0.0025, 0],
      [0.005, 0],
      [0.01, 0],
      [0.025, 1],
      [0.05, 1],
      [0.1, 1],
      [0.25, 1],
      [0.5, 1],
      [1, 1],
      [2.5, 1],
      [5, 1],
      [10, 1],
      ['+Inf', 1],
    ]);
  });

  test('an unmatched path is logged with route "unmatched"', async (t) => {
    const { app, logs } = await buildApp();
    t.after(() => app.close());
    const response = await app.inject({ url: '/no/such/path', headers: { 'x-request-id': 'nowhere-1' } });
    assert.equal(response.statusCode, 404);
    const line = logs.lines().find((l) => l.reqId === 'nowhere-1' && l.msg === 'request completed');
    assert.deepEqual([line?.route, line?.status], ['unmatched', 404]);
  });
});

describe('routes of the plugin and of health', () => {
  test('/metrics answers in the Prometheus text format; it, /healthz and /readyz are hidden from the API document', async (t) => {
    const { app, routes } = await buildApp();
    t.after(() => app.close());
    const response = await app.inject({ url: '/metrics' });
    assert.equal(response.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    for (const url of ['/metrics', '/healthz', '/readyz'])
      assert.deepEqual(
        routes
          .filter(([u]) => u === url)
          .map(([, schema]) => (schema as { hide?: boolean } | undefined)?.hide),
        [true, true],
        'GET and HEAD',
      );
    assert.equal(app.hasPlugin('steadfast-observability'), true);
    assert.equal(app.hasRequestDecorator('trace'), true);
    assert.equal(app.hasRequestDecorator('tenantId'), true);
    assert.equal(app.hasRequestDecorator('span'), false, 'no tracer, no span');
  });
});
