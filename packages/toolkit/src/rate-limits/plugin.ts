/**
 * Fastify plugin: an `onRequest` hook that takes one unit from the request's
 * (partition, class) before anything else runs. Register it AFTER your
 * authentication plugin: hooks run in registration order, so the principal
 * `partitionOf` reads is already there. Every limited response carries
 * `RateLimit-Policy` and `RateLimit`; over the limit the answer is the
 * `rate-limited` problem (429) with `Retry-After`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
  /**
   * How long a refusal is held before it is sent (default: half its Retry-After, at most 500 ms;
   * 0 = at once). A client that ignores Retry-After and retries at once is slowed to a few
   * requests per second per connection instead of spinning the server on refusals, which cost
   * CPU too. Holding one costs a timer and an open socket, nothing else.
   */
  refusalDelayMs?: number | ((decision: RateLimitDecision) => number);
  /**
   * Each hold is shortened by up to this fraction at random (default 0.5), so the refusals of a
   * flooding client's many connections do not all come back, and retry, in the same instant.
   */
  refusalJitter?: number;
  /** the randomness of the jitter (default Math.random) */
  random?: () => number;
  /** refusals held at once at most; beyond, they are sent at once (default 10 000) */
  maxHeldRefusals?: number;
  /**
   * Called when a request is refused, before it is held: e.g. give back its load-shedding
   * slot, so held refusals never crowd out other tenants' work.
   */
  onRefusal?: (request: FastifyRequest, reply: FastifyReply) => void;
}

function defaultRefusalDelayMs(decision: RateLimitDecision): number {
  return Math.min(500, (decision.retryAfterS * 1000) / 2);
}

async function rateLimitsPlugin(app: FastifyInstance, options: RateLimitsPluginOptions) {
  const { limiter, classOf, partitionOf, metrics } = options;
  const delay = options.refusalDelayMs ?? defaultRefusalDelayMs;
  const delayOf = typeof delay === 'number' ? () => delay : delay;
  const maxHeld = options.maxHeldRefusals ?? 10_000;
  const jitter = options.refusalJitter ?? 0.5;
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError(`refusalJitter must be 0 to 1, got ${jitter}`);
  const random = options.random ?? Math.random;
  const holding = new Set<() => void>();
  // closing: every held refusal goes out now
  app.addHook('preClose', (done) => {
    for (const send of [...holding]) send();
    done();
  });
  app.decorateRequest('rateLimit', undefined);
  app.addHook('onReady', () => limiter.start());
  app.addHook('onClose', () => limiter.close());
  // a callback hook, not an async one: no promise per request on the hot path
  app.addHook('onRequest', (request, reply, done) => {
    const className = classOf(request);
    const partition = className === undefined ? undefined : partitionOf(request);
    if (className === undefined || partition === undefined) return done();
    const decision = limiter.take(partition, className);
    const headers = rateLimitHeaders(decision);
    reply.header('RateLimit-Policy', headers['RateLimit-Policy']).header('RateLimit', headers.RateLimit);
    if (!decision.allowed) {
      metrics?.limited.inc({ class: className });
      const refusal = new ProblemError('rate-limited', {
        detail: `Over the ${decision.limit} per ${decision.windowS} s quota of "${className}" requests; retry after ${decision.retryAfterS} s.`,
        headers: { ...headers, 'Retry-After': String(decision.retryAfterS) },
      });
      options.onRefusal?.(request, reply);
      const delayMs = delayOf(decision) * (1 - jitter * random());
      if (delayMs <= 0 || holding.size >= maxHeld) return done(refusal);
      const send = () => {
        if (!holding.delete(send)) return;
        metrics?.held.set(holding.size);
        clearTimeout(timer);
        reply.raw.off('close', send);
        done(refusal);
      };
      const timer = setTimeout(send, delayMs);
      holding.add(send);
      metrics?.held.set(holding.size);
      // a client that hangs up is not waited for
      reply.raw.once('close', send);
      return;
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
    done();
  });
}

export const rateLimits = fp(rateLimitsPlugin, { name: 'steadfast-rate-limits', fastify: '5.x' });
