/**
 * The observability plugin with a tracer: one SERVER span per request with its
 * attributes, active while the handler runs; the problem type of a 4xx/5xx
 * body; the status, error status and an aborted request; log lines name the span.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { coreProblems, createProblemRegistry, problems } from '../problems/index.ts';
import { eventually } from '../testing/eventually.ts';
import { createLogCapture } from '../testing/log-capture.ts';
import { createTracingHarness } from '../testing/tracing-harness.ts';
import { createLogger } from './logger.ts';
import { createHttpMetrics } from './metrics.ts';
import { observability, requestTraceparent } from './plugin.ts';
import { createRequestIdGenerator } from './request-id.ts';
import { inSpan } from './tracing.ts';

const { exporter, tracer } = createTracingHarness('plugin-spans-test');
const logs = createLogCapture();
let app: FastifyInstance;
let releaseSlow: () => void = () => {};
let slowStarted = false;

before(async () => {
  const logger: FastifyBaseLogger = createLogger({ destination: logs.stream });
  app = Fastify({ loggerInstance: logger, genReqId: createRequestIdGenerator() });
  await app.register(problems, { registry: createProblemRegistry(coreProblems) });
  await app.register(observability, { metrics: createHttpMetrics(), tracer: tracer() });
  app.get('/things/:id', async (request) => {
    const inner = await inSpan(tracer(), 'inner', {}, async () => requestTraceparent(request));
    return { type: 'not-a-problem', active: trace.getActiveSpan() === request.span, inner };
  });
  app.get<{ Params: { status: string } }>('/spaced/:status', async (request, reply) =>
    reply
      .code(Number(request.params.status))
      .type('application/json')
      .send('{ "type"  :  "/problems/spaced" }'),
  );
  app.get('/buffered', async (_request, reply) =>
    reply.code(409).type('application/json').send(Buffer.from('{"type":"/problems/buffered"}')),
  );
  app.get('/late', async (_request, reply) =>
    reply
      .code(422)
      .type('application/json')
      .send(Buffer.from(`{"pad":"${'x'.repeat(5000)}","type":"/problems/late"}`)),
  );
  app.get('/plain', async (_request, reply) => reply.code(400).type('text/plain').send('no problem here'));
  app.get('/slow', async () => {
    slowStarted = true;
    await new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    return { late: true };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
});
after(async () => {
  releaseSlow();
  await app.close();
});

const spanNamed = (name: string) => {
  const found = exporter.getFinishedSpans().filter((s) => s.name === name);
  assert.equal(found.length, 1, `one span ${name}`);
  return found[0];
};

describe('the request span', () => {
  test('SERVER, named after the route, with its attributes, active in the handler; the body passes untouched', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/things/7?q=1',
      headers: { 'x-request-id': 'r-1' },
    });
    assert.equal(response.statusCode, 200);
    const body = response.json();
    const span = spanNamed('GET /things/:id');
    const inner = spanNamed('inner');
    assert.equal(span.kind, SpanKind.SERVER);
    assert.deepEqual(span.attributes, {
      'http.request.method': 'GET',
      'url.path': '/things/7',
      'http.route': '/things/:id',
      'steadfast.request_id': 'r-1',
      'http.response.status_code': 200,
    });
    assert.deepEqual(span.status, { code: SpanStatusCode.UNSET });
    assert.equal(inner.parentSpanContext?.spanId, span.spanContext().spanId, 'the handler runs in the span');
    const { traceId } = span.spanContext();
    assert.deepEqual(body, {
      type: 'not-a-problem',
      active: true,
      inner: `00-${traceId}-${inner.spanContext().spanId}-01`,
    });
    const line = logs.lines().find((l) => l.msg === 'request completed' && l.reqId === 'r-1');
    assert.equal(line?.trace_id, traceId);
    assert.equal(line?.span_id, span.spanContext().spanId);
  });

  test('an unmatched path: the method only, no route attribute, the problem type of the 404', async () => {
    const response = await app.inject({ method: 'GET', url: '/nowhere', headers: { 'x-request-id': 'r-2' } });
    assert.equal(response.statusCode, 404);
    assert.deepEqual(spanNamed('GET').attributes, {
      'http.request.method': 'GET',
      'url.path': '/nowhere',
      'steadfast.request_id': 'r-2',
      'steadfast.problem.type': '/problems/not-found',
      'http.response.status_code': 404,
    });
  });

  test('the problem type of a 4xx or 5xx body (string, buffer, spaced JSON); 5xx marks the span failed', async () => {
    for (const [status, code] of [
      [400, SpanStatusCode.UNSET],
      [499, SpanStatusCode.UNSET],
      [500, SpanStatusCode.ERROR],
      [503, SpanStatusCode.ERROR],
    ] as const) {
      exporter.reset();
      const response = await app.inject({ method: 'GET', url: `/spaced/${status}` });
      assert.equal(response.body, '{ "type"  :  "/problems/spaced" }');
      const span = spanNamed('GET /spaced/:status');
      assert.equal(span.attributes['steadfast.problem.type'], '/problems/spaced', String(status));
      assert.equal(span.attributes['http.response.status_code'], status);
      assert.equal(span.attributes['steadfast.aborted'], undefined);
      assert.deepEqual(span.status, { code }, String(status));
    }
    const buffered = await app.inject({ method: 'GET', url: '/buffered' });
    assert.equal(buffered.body, '{"type":"/problems/buffered"}');
    assert.equal(spanNamed('GET /buffered').attributes['steadfast.problem.type'], '/problems/buffered');
  });

  test('no problem type: a 2xx body, a body without one, one past the first 4 KiB', async () => {
    const plain = await app.inject({ method: 'GET', url: '/plain' });
    assert.equal(plain.statusCode, 400);
    assert.equal(plain.body, 'no problem here');
    assert.equal(spanNamed('GET /plain').attributes['steadfast.problem.type'], undefined);
    const late = await app.inject({ method: 'GET', url: '/late' });
    assert.equal(late.statusCode, 422);
    assert.equal(spanNamed('GET /late').attributes['steadfast.problem.type'], undefined);
  });

  test('a request the client aborts: the span ends failed and marked aborted, without a status', async () => {
    const { port } = app.server.address() as AddressInfo;
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await eventually(() => slowStarted);
    socket.destroy();
    const span = await eventually(() => exporter.getFinishedSpans().find((s) => s.name === 'GET /slow'));
    assert.equal(span.attributes['steadfast.aborted'], true);
    assert.equal(span.attributes['http.response.status_code'], undefined);
    assert.deepEqual(span.status, { code: SpanStatusCode.ERROR });
    releaseSlow();
  });

  test('the plugin is named and decorates the request with trace, tenantId and span', () => {
    assert.equal(app.hasPlugin('steadfast-observability'), true);
    for (const name of ['trace', 'tenantId', 'span']) assert.equal(app.hasRequestDecorator(name), true, name);
  });
});
