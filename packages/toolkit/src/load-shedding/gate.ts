/**
 * The gate: admission and refusal of a raw Node request, before any framework
 * object exists. A request's criticality comes from its route (method + path,
 * classified once per route when the route is added); it is admitted by the
 * limiter, or refused at once with a prebuilt `503 overloaded` problem written
 * in one `res.end` — no log line, no allocation beyond its body. An admitted
 * request holds its slot until its response closes: finished (its latency
 * becomes a sample), or cut off by the client or the network (released
 * without a sample).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import type { Clock } from '../ids/index.ts';
import { createRequestIdGenerator } from '../observability/index.ts';
import { buildProblem, createProblemRegistry, PROBLEM_CONTENT_TYPE } from '../problems/index.ts';
import { type ConcurrencyLimiter, CRITICALITIES, type Criticality } from './limiter.ts';
import { createLoadSheddingMetrics } from './metrics.ts';
import { loadSheddingProblems, overloaded } from './problems.ts';
import { createRouteMatcher } from './route-matcher.ts';

/** what the gate knows of a route when it is added */
export interface RouteInfo {
  method: string;
  /** the route template, e.g. `/api/notes/:id/archive` */
  url: string;
  /** the route's `config` (Fastify's `FastifyContextConfig`) */
  config?: { criticality?: Criticality };
}

export interface SummaryLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface GateOptions {
  limiter: ConcurrencyLimiter;
  /** a route's class when its `config.criticality` is not set; called once per route (default: `defaultCriticality`) */
  criticalityOf?: (route: RouteInfo) => Criticality;
  /** for routes without a class (default `normal`); requests no route serves are always `sheddable` (they are 404s) */
  defaultCriticality?: Criticality;
  /**
   * false for requests that hold a connection without doing work (a long-poll
   * such as `Prefer: wait`): they are still admitted by class, but not counted
   * in flight and never a latency sample. Default: every request is measured.
   */
  measure?: (request: IncomingMessage) => boolean;
  /** prom-client registry for the metrics (default: none are recorded) */
  registry?: Registry;
  /** `Retry-After` of a refusal, in seconds (default 1) */
  retryAfterS?: number;
  /** the refusal's request id; pass the app's `genReqId` so ids look alike (default `createRequestIdGenerator()`) */
  requestId?: (request: IncomingMessage) => string;
  /** the latency clock; only differences are used (default `performance.now`) */
  clock?: Clock;
  /** where the shedding summary goes (default: the app's logger, once the plugin is registered) */
  log?: SummaryLog;
  /** refusals are logged as one summary line at most this often, never one line each (default 1000) */
  summaryIntervalMs?: number;
}

type Shed = Record<Exclude<Criticality, 'exempt'>, number>;

export function checkCriticality(value: unknown, where: string): Criticality {
  if (!CRITICALITIES.includes(value as Criticality))
    throw new Error(`${where}: criticality must be one of ${CRITICALITIES.join(', ')}, got ${String(value)}`);
  return value as Criticality;
}

/** The `overloaded` body, split around its two per-request members (exactly what `buildProblem` renders). */
function refusalTemplate(retryAfterS: number) {
  const problem = overloaded(retryAfterS);
  const [instanceMark, requestIdMark] = ['\u0000instance', '\u0000requestId'];
  const text = JSON.stringify(
    buildProblem(createProblemRegistry(loadSheddingProblems), {
      slug: problem.slug,
      detail: problem.detail,
      instance: instanceMark,
      requestId: requestIdMark,
    }),
  );
  const [head, rest] = text.split(JSON.stringify(instanceMark));
  const [middle, tail] = rest.split(JSON.stringify(requestIdMark));
  return { head, middle, tail, status: 503 };
}

export function createGate(options: GateOptions) {
  const { limiter, measure } = options;
  const defaultCriticality = checkCriticality(options.defaultCriticality ?? 'normal', 'defaultCriticality');
  const criticalityOf = options.criticalityOf ?? (() => defaultCriticality);
  const clock = options.clock ?? { now: () => performance.now() };
  const retryAfterS = options.retryAfterS ?? 1;
  if (!(Number.isInteger(retryAfterS) && retryAfterS >= 0))
    throw new RangeError(`retryAfterS must be a whole number of seconds ≥ 0, got ${retryAfterS}`);
  const requestId = options.requestId ?? createRequestIdGenerator();
  const summaryIntervalMs = options.summaryIntervalMs ?? 1000;
  let log = options.log;
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
  const routes = createRouteMatcher<Criticality>();
  /** an admitted response → gives its slot back now, without a latency sample */
  const givers = new WeakMap<ServerResponse, () => void>();

  let pending: Shed = { critical: 0, normal: 0, sheddable: 0 };
  let summaryTimer: NodeJS.Timeout | undefined;
  const summarize = () => {
    summaryTimer = undefined;
    const shed = pending;
    pending = { critical: 0, normal: 0, sheddable: 0 };
    log?.warn(
      { shed, limit: limiter.limit(), inflight: limiter.inflight(), intervalMs: summaryIntervalMs },
      'requests shed: the service is at its concurrency limit',
    );
  };

  const template = refusalTemplate(retryAfterS);
  const retryAfter = String(retryAfterS);
  const contentType = `${PROBLEM_CONTENT_TYPE}; charset=utf-8`;
  const refuse = (req: IncomingMessage, res: ServerResponse, path: string, criticality: keyof Shed) => {
    shedCounters[criticality]?.inc();
    pending[criticality]++;
    if (summaryTimer === undefined) {
      summaryTimer = setTimeout(summarize, summaryIntervalMs);
      summaryTimer.unref();
    }
    const id = requestId(req);
    const body = `${template.head}${JSON.stringify(path)}${template.middle}${JSON.stringify(id)}${template.tail}`;
    res.writeHead(template.status, [
      'content-type',
      contentType,
      'content-length',
      String(Buffer.byteLength(body)),
      'retry-after',
      retryAfter,
      'x-request-id',
      id,
    ]);
    res.end(body);
  };

  return {
    /** classify a route once, when it is added (a misspelt `config.criticality` throws, naming the route) */
    addRoute(route: RouteInfo): void {
      const where = `${route.method} ${route.url}`;
      const configured = route.config?.criticality;
      const criticality = checkCriticality(configured ?? criticalityOf(route), where);
      routes.add(route.method, route.url, criticality);
    },
    /** true: the request goes on to the app (admitted or exempt); false: it was refused and answered */
    admit(req: IncomingMessage, res: ServerResponse): boolean {
      const url = req.url ?? '/';
      const query = url.indexOf('?');
      const path = query < 0 ? url : url.slice(0, query);
      const criticality = routes.find(req.method ?? 'GET', path) ?? 'sheddable';
      if (criticality === 'exempt') return true;
      if (measure !== undefined && !measure(req)) {
        if (limiter.admits(criticality)) return true;
        refuse(req, res, path, criticality);
        return false;
      }
      if (!limiter.tryAcquire(criticality)) {
        refuse(req, res, path, criticality);
        return false;
      }
      const startMs = clock.now();
      let held = true;
      const release = (sampleMs: number | undefined) => {
        if (!held) return;
        held = false;
        limiter.release(sampleMs);
      };
      givers.set(res, () => release(undefined));
      // 'close' comes once in every case: after the response finished, or when the client or the network cut it off
      res.once('close', () => release(res.writableFinished ? clock.now() - startMs : undefined));
      return true;
    },
    /**
     * Give an admitted request's slot back now, without a latency sample: it does no more
     * work (e.g. a refusal the rate limiter holds before sending). Once per request; a no-op
     * for requests that hold no slot.
     */
    giveBack(res: ServerResponse): void {
      givers.get(res)?.();
    },
    /** the summary's default destination (the app's logger) */
    useLog(fallback: SummaryLog): void {
      log ??= fallback;
    },
    /** flush the last summary and stop reporting metrics */
    close(): void {
      if (summaryTimer !== undefined) {
        clearTimeout(summaryTimer);
        summarize();
      }
      metrics?.remove();
    },
  };
}

export type Gate = ReturnType<typeof createGate>;
