/**
 * Fastify plugin: echo `X-Request-Id`, keep `traceparent`, log one completion
 * line per request, record the HTTP duration histogram and serve `/metrics`.
 */
import { context, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HIDDEN_FROM_OPENAPI } from '../problems/index.ts';
import { type HttpMetrics, routeLabel } from './metrics.ts';
import { parseTraceparent, type TraceContext } from './request-id.ts';
import { activeTraceparent, formatTraceparent, parentContext } from './tracing.ts';

declare module 'fastify' {
  interface FastifyRequest {
    trace: TraceContext | undefined;
    /** set by authentication; logged on the completion line */
    tenantId: string | undefined;
    /** the request's span when tracing is on */
    span: Span | undefined;
  }
}

export interface ObservabilityOptions {
  metrics: HttpMetrics;
  /** tracing on: one server span per request, the parent of everything the request does */
  tracer?: Tracer;
}

/**
 * The traceparent work started by this request should carry through the
 * database: the request span's with tracing on, else the one the client sent.
 */
export function requestTraceparent(request: FastifyRequest): string | undefined {
  if (request.span) return activeTraceparent() ?? formatTraceparent(request.span);
  return request.trace?.header;
}

const PROBLEM_TYPE = /"type"\s*:\s*"([^"]{1,200})"/;

/** One SERVER span per request, named after the route pattern, active while the handler runs. */
function traceRequests(app: FastifyInstance, tracer: Tracer) {
  app.decorateRequest('span', undefined);
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.url;
    const span = tracer.startSpan(
      route ? `${request.method} ${route}` : request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'url.path': request.url.split('?')[0],
          ...(route ? { 'http.route': route } : {}),
          'steadfast.request_id': request.id,
        },
      },
      parentContext(request.trace?.header),
    );
    request.span = span;
  });
  // callback style: done() runs the next hooks and the handler synchronously, inside the span's context
  app.addHook('preHandler', (request, _reply, done) => {
    if (!request.span) return done();
    context.with(trace.setSpan(context.active(), request.span), done);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.span && reply.statusCode >= 400) {
      const text =
        typeof payload === 'string'
          ? payload
          : Buffer.isBuffer(payload)
            ? payload.toString('utf8', 0, 4096)
            : undefined;
      const type = text === undefined ? undefined : PROBLEM_TYPE.exec(text)?.[1];
      if (type) request.span.setAttribute('steadfast.problem.type', type);
    }
    return payload;
  });
  const end = (request: FastifyRequest, status: number | undefined) => {
    const span = request.span;
    if (!span?.isRecording()) return;
    if (status === undefined) span.setAttribute('steadfast.aborted', true);
    else span.setAttribute('http.response.status_code', status);
    if (status === undefined || status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  app.addHook('onResponse', async (request, reply) => end(request, reply.statusCode));
  app.addHook('onRequestAbort', async (request) => end(request, undefined));
}

async function observabilityPlugin(app: FastifyInstance, options: ObservabilityOptions) {
  const { metrics } = options;
  app.decorateRequest('trace', undefined);
  app.decorateRequest('tenantId', undefined);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
    request.trace = parseTraceparent(request.headers.traceparent);
  });
  if (options.tracer) traceRequests(app, options.tracer);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const durationMs = Math.round(reply.elapsedTime * 100) / 100;
    metrics.httpDuration.observe(
      {
        method: request.method,
        route: routeLabel(request.routeOptions.url),
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    request.log.info(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        durationMs,
        tenantId: request.tenantId,
        traceId: request.trace?.traceId,
        ...(request.span
          ? { trace_id: request.span.spanContext().traceId, span_id: request.span.spanContext().spanId }
          : {}),
      },
      'request completed',
    );
  });
  app.get('/metrics', { schema: HIDDEN_FROM_OPENAPI }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}

export const observability = fp(observabilityPlugin, { name: 'steadfast-observability', fastify: '5.x' });
