/**
 * Fastify plugin: an `onRequest` hook that takes one unit from the request's
 * (partition, class) before anything else runs. Register it AFTER your
 * authentication plugin: hooks run in registration order, so the principal
 * `partitionOf` reads is already there. Every limited response carries
 * `RateLimit-Policy` and `RateLimit`; over the limit the answer is the
 * `rate-limited` problem (429) with `Retry-After`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ProblemError } from '../problems/index.ts';
import { rateLimitHeaders } from './headers.ts';
import type { RateLimitDecision, RateLimiter } from './limiter.ts';
import type { RateLimitMetrics } from './metrics.ts';

export interface RequestRateLimit {
  decision: RateLimitDecision;
  /** give the unit back (e.g. an idempotent replay did no new work); only the first call counts */
  refund(): void;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** set on limited routes that were admitted */
    rateLimit: RequestRateLimit | undefined;
  }
}

export interface RateLimitsPluginOptions {
  limiter: RateLimiter;
  /** the route class of a request; undefined = not limited (health, docs, …) */
  classOf: (request: FastifyRequest) => string | undefined;
  /** whose budget it spends (e.g. the tenant); undefined = not limited */
  partitionOf: (request: FastifyRequest) => string | undefined;
  metrics?: RateLimitMetrics;
}

async function rateLimitsPlugin(app: FastifyInstance, options: RateLimitsPluginOptions) {
  const { limiter, classOf, partitionOf, metrics } = options;
  app.decorateRequest('rateLimit', undefined);
  app.addHook('onReady', () => limiter.start());
  app.addHook('onClose', () => limiter.close());
  app.addHook('onRequest', async (request, reply) => {
    const className = classOf(request);
    if (className === undefined) return;
    const partition = partitionOf(request);
    if (partition === undefined) return;
    const decision = limiter.take(partition, className);
    const headers = rateLimitHeaders(decision);
    reply.headers(headers);
    if (!decision.allowed) {
      metrics?.limited.inc({ class: className });
      throw new ProblemError('rate-limited', {
        detail: `Over the ${decision.limit} per ${decision.windowS} s quota of "${className}" requests; retry after ${decision.retryAfterS} s.`,
        headers: { ...headers, 'Retry-After': String(decision.retryAfterS) },
      });
    }
    let refunded = false;
    request.rateLimit = {
      decision,
      refund() {
        if (refunded) return;
        refunded = true;
        limiter.refund(partition, className);
      },
    };
  });
}

export const rateLimits = fp(rateLimitsPlugin, { name: 'steadfast-rate-limits', fastify: '5.x' });
