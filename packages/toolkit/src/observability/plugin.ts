/**
 * Fastify plugin: echo `X-Request-Id`, keep `traceparent`, log one completion
 * line per request, record the HTTP duration histogram and serve `/metrics`.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HIDDEN_FROM_OPENAPI } from '../problems/index.ts';
import type { HttpMetrics } from './metrics.ts';
import { parseTraceparent, type TraceContext } from './request-id.ts';

declare module 'fastify' {
  interface FastifyRequest {
    trace: TraceContext | undefined;
    /** set by authentication; logged on the completion line */
    tenantId: string | undefined;
  }
}

export interface ObservabilityOptions {
  metrics: HttpMetrics;
}

async function observabilityPlugin(app: FastifyInstance, options: ObservabilityOptions) {
  const { metrics } = options;
  app.decorateRequest('trace', undefined);
  app.decorateRequest('tenantId', undefined);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
    request.trace = parseTraceparent(request.headers.traceparent);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const durationMs = Math.round(reply.elapsedTime * 100) / 100;
    metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
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
