/**
 * Fastify plugin: load shedding at the door. In `onRequest` — before the body
 * is read or any other work is done — a request is admitted by the limiter
 * for its criticality or refused at once with `503 overloaded` and
 * `Retry-After`. An admitted request holds its slot until its response
 * closes: finished (its latency becomes a sample), or cut off by the client
 * or the network (released without a sample). Register it before every
 * plugin that adds request hooks (after `problems`, which renders the 503).
 */
import { performance } from 'node:perf_hooks';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Registry } from 'prom-client';
import type { Clock } from '../ids/index.ts';
import { type ConcurrencyLimiter, CRITICALITIES, type Criticality } from './limiter.ts';
import { createLoadSheddingMetrics } from './metrics.ts';
import { overloaded } from './problems.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** load shedding: how early this route is shed under pressure (`exempt`: never) */
    criticality?: Criticality;
  }
}

export interface LoadSheddingOptions {
  limiter: ConcurrencyLimiter;
  /** the request's class; default: the route's `config.criticality`, else `defaultCriticality` */
  criticalityOf?: (request: FastifyRequest) => Criticality;
  /** for routes without `config.criticality` and unmatched requests (default `normal`) */
  defaultCriticality?: Criticality;
  /**
   * false for requests that hold a connection without doing work (a long-poll
   * such as `Prefer: wait`): they are still admitted by class, but not counted
   * in flight and never a latency sample. Default: every request is measured.
   */
  measure?: (request: FastifyRequest) => boolean;
  /** prom-client registry for the metrics (default: none are recorded) */
  registry?: Registry;
  /** `Retry-After` of a refusal, in seconds (default 1) */
  retryAfterS?: number;
  /** the latency clock; only differences are used (default `performance.now`) */
  clock?: Clock;
  /** where the shedding summary goes (default the app's logger) */
  log?: FastifyBaseLogger;
  /** refusals are logged as one summary line at most this often, never one line each (default 1000) */
  summaryIntervalMs?: number;
}

type Shed = Record<Exclude<Criticality, 'exempt'>, number>;

function checkCriticality(value: unknown, where: string): Criticality {
  if (!CRITICALITIES.includes(value as Criticality))
    throw new Error(`${where}: criticality must be one of ${CRITICALITIES.join(', ')}, got ${String(value)}`);
  return value as Criticality;
}

async function loadSheddingPlugin(app: FastifyInstance, options: LoadSheddingOptions) {
  const { limiter } = options;
  const defaultCriticality = checkCriticality(options.defaultCriticality ?? 'normal', 'defaultCriticality');
  const criticalityOf =
    options.criticalityOf ??
    ((request: FastifyRequest) => request.routeOptions.config.criticality ?? defaultCriticality);
  const measure = options.measure;
  const clock = options.clock ?? { now: () => performance.now() };
  const retryAfterS = options.retryAfterS ?? 1;
  if (!(Number.isInteger(retryAfterS) && retryAfterS >= 0))
    throw new RangeError(`retryAfterS must be a whole number of seconds ≥ 0, got ${retryAfterS}`);
  const summaryIntervalMs = options.summaryIntervalMs ?? 1000;
  const log = options.log ?? app.log;
  const metrics = options.registry ? createLoadSheddingMetrics(options.registry, limiter) : undefined;
  const shedCounter = (criticality: string) => {
    const child = metrics?.shed.labels(criticality);
    child?.inc(0); // every series exists from the start, at 0
    return child;
  };
  const shedCounters = {
    critical: shedCounter('critical'),
    normal: shedCounter('normal'),
    sheddable: shedCounter('sheddable'),
  };

  // a route with a misspelt criticality fails the start, not its first request
  app.addHook('onRoute', (route) => {
    const value = (route.config as { criticality?: unknown } | undefined)?.criticality;
    if (value !== undefined) checkCriticality(value, `${route.method} ${route.url}`);
  });

  let pending: Shed = { critical: 0, normal: 0, sheddable: 0 };
  let summaryTimer: NodeJS.Timeout | undefined;
  const summarize = () => {
    summaryTimer = undefined;
    const shed = pending;
    pending = { critical: 0, normal: 0, sheddable: 0 };
    log.warn(
      { shed, limit: limiter.limit(), inflight: limiter.inflight(), intervalMs: summaryIntervalMs },
      'requests shed: the service is at its concurrency limit',
    );
  };
  // one refusal for all: it is never changed, and capturing a stack per refused request is most of its cost
  const refusal = overloaded(retryAfterS);
  const refuse = (criticality: Exclude<Criticality, 'exempt'>) => {
    shedCounters[criticality]?.inc();
    pending[criticality]++;
    if (summaryTimer === undefined) {
      summaryTimer = setTimeout(summarize, summaryIntervalMs);
      summaryTimer.unref();
    }
    return refusal;
  };

  // callback style, no promise per request: this runs for every request, refused ones included
  app.addHook('onRequest', (request, reply, done) => {
    const criticality = criticalityOf(request);
    if (criticality === 'exempt') return done();
    if (measure !== undefined && !measure(request)) {
      return limiter.admits(criticality) ? done() : done(refuse(criticality));
    }
    if (!limiter.tryAcquire(criticality)) return done(refuse(criticality));
    const startMs = clock.now();
    const res = reply.raw;
    // 'close' comes once in every case: after the response finished, or when the client or the network cut it off
    res.once('close', () => limiter.release(res.writableFinished ? clock.now() - startMs : undefined));
    done();
  });

  app.addHook('onClose', async () => {
    if (summaryTimer !== undefined) {
      clearTimeout(summaryTimer);
      summarize();
    }
    metrics?.remove();
  });
}

export const loadShedding = fp(loadSheddingPlugin, { name: 'steadfast-load-shedding', fastify: '5.x' });
