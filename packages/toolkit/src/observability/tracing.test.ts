/**
 * Tracing with the toolkit on a bare Fastify app, an in-memory exporter:
 * the request span continues an incoming traceparent, work carried through a
 * stored traceparent continues the trace, a dependency client's attempts are
 * CLIENT spans that send their own traceparent, and log lines name the span.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import {
  activeTraceparent,
  createHttpMetrics,
  createLogger,
  inSpan,
  observability,
  requestTraceparent,
  SpanKind,
  startTracing,
  type Tracing,
} from '@steadfast/toolkit/observability';
import { coreProblems, createProblemRegistry, problems } from '@steadfast/toolkit/problems';
import { createDependencyClient, createEgressMetrics } from '@steadfast/toolkit/resilience';
import { createLogCapture } from '@steadfast/toolkit/testing';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { Registry } from 'prom-client';

const exporter = new InMemorySpanExporter();
const logs = createLogCapture();
let tracing: Tracing;
let partner: Server;
const partnerSaw: (string | undefined)[] = [];

before(async () => {
  // docs:start tracing
  // OTLP/HTTP to a collector; tests pass an in-memory exporter instead of a url
  tracing = await startTracing({ serviceName: 'my-service', exporter, simple: true });
  // url: 'http://collector:4318' + the OTLP traces path, sampler: 'parentbased_traceidratio', samplerRatio: 0.1
  // docs:end tracing
  partner = createServer((request, response) => {
    partnerSaw.push(request.headers.traceparent as string | undefined);
    response.writeHead(partnerSaw.length === 1 ? 503 : 200, { 'content-type': 'application/json' });
    response.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => partner.listen(0, '127.0.0.1', resolve));
});
after(async () => {
  await tracing.shutdown();
  partner.close();
});

test('request, carried work and partner attempts form one trace; logs name the span', async () => {
  const { tracer } = tracing;
  const stored: string[] = []; // stands for a column of a queue table
  // docs:start traced-app
  const logger: FastifyBaseLogger = createLogger({ destination: logs.stream, traceIds: true }); // trace_id, span_id
  const app = Fastify({ loggerInstance: logger });
  await app.register(problems, { registry: createProblemRegistry(coreProblems) });
  await app.register(observability, { metrics: createHttpMetrics(), tracer }); // a SERVER span per request
  const client = createDependencyClient({
    name: 'partner',
    baseUrl: `http://127.0.0.1:${(partner.address() as AddressInfo).port}`,
    criticality: 'degradable',
    log: logger,
    metrics: createEgressMetrics(new Registry()),
    tracer, // a CLIENT span per attempt, sent as its traceparent
  });
  app.post('/things', async (request) => {
    stored.push(requestTraceparent(request) ?? ''); // what enqueueJob / writeOutboxEvent store by themselves
    return { queued: true };
  });
  // later, in a worker: the stored traceparent is the parent of the work's span
  const work = (traceparent: string) =>
    inSpan(tracer, 'job deliver', { kind: SpanKind.CONSUMER, parent: traceparent }, async () => {
      logger.info('delivering');
      await client.request({ method: 'GET', path: '/status', route: '/status' });
    });
  // docs:end traced-app

  const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const response = await app.inject({ method: 'POST', url: '/things', headers: { traceparent: incoming } });
  assert.equal(response.statusCode, 200);
  await work(stored[0]);
  await app.close();
  await client.close();

  const spans = exporter.getFinishedSpans();
  const byName = (name: string) => spans.filter((s) => s.name === name);
  const [request] = byName('POST /things');
  const [job] = byName('job deliver');
  const attempts = byName('GET /status');
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  assert.equal(request.spanContext().traceId, traceId);
  assert.equal(request.parentSpanContext?.spanId, '00f067aa0ba902b7');
  assert.equal(request.kind, SpanKind.SERVER);
  assert.equal(stored[0], `00-${traceId}-${request.spanContext().spanId}-01`);
  assert.equal(job.parentSpanContext?.spanId, request.spanContext().spanId);
  assert.deepEqual(
    attempts.map((s) => [s.attributes['steadfast.attempt'], s.attributes['steadfast.outcome']]),
    [
      [1, 'transient'],
      [2, 'success'],
    ],
  );
  for (const [i, s] of attempts.entries()) {
    assert.equal(s.parentSpanContext?.spanId, job.spanContext().spanId);
    assert.equal(
      partnerSaw[i],
      `00-${traceId}-${s.spanContext().spanId}-01`,
      'the attempt sent its own span',
    );
  }
  const line = logs.lines().find((l) => l.msg === 'delivering');
  assert.equal(line?.trace_id, traceId);
  assert.equal(line?.span_id, job.spanContext().spanId);
  assert.equal(activeTraceparent(), undefined, 'outside any span nothing is active');
});

test('without a tracer inSpan only runs the work, and nothing is active', async () => {
  const seen = await inSpan(undefined, 'ignored', {}, async (span) => [span, activeTraceparent()]);
  assert.deepEqual(seen, [undefined, undefined]);
});
