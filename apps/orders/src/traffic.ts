/**
 * Traffic control of the Orders API (docs/rate-limits.md, docs/resilience.md):
 * load shedding at the door by route criticality, then per-tenant rate limits
 * by route class, shared by every web process through Postgres.
 *
 * - criticality: pay, webhook intake and operation reads are `critical`; lists,
 *   recommendations and the docs are `sheddable`; health and metrics are never shed.
 * - route classes: `long-polls` (GET /v1/operations/{id} with `Prefer: wait`),
 *   `reads` (GET), `writes` (everything else under /v1). An operator key spends
 *   a budget of its own, never a tenant's.
 * - an idempotent replay gives its unit back: retrying a request that already
 *   succeeded never spends the budget of new work.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import { type ApiKeyVerifier, principalScope } from '@steadfast/toolkit/auth';
import type { Clock } from '@steadfast/toolkit/ids';
import {
  type Criticality,
  createAdaptiveConcurrencyLimit,
  createFixedConcurrencyLimit,
  createLoadShedding,
  type LoadShedding,
} from '@steadfast/toolkit/load-shedding';
import type { BackgroundErrors } from '@steadfast/toolkit/observability';
import type { Queryable } from '@steadfast/toolkit/postgres';
import {
  createPostgresRateLimitStore,
  createRateLimiter,
  createRateLimitMetrics,
  type RateLimiter,
  type RateLimitPolicies,
  rateLimits,
} from '@steadfast/toolkit/rate-limits';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { RouteClass } from './config-traffic.ts';

export interface TrafficOptions {
  /** per-tenant limits per route class and window; undefined = no limits */
  rateLimits?: {
    limits: Record<RouteClass, number>;
    windowS: number;
    syncIntervalMs?: number;
    /** the longest a refusal is held (half its Retry-After); default 500, 0 = at once */
    refusalDelayMs?: number;
  };
  /** adaptive concurrency bounds, or `fixedLimit` (tests); undefined = no shedding */
  loadShedding?: { minLimit: number; maxLimit: number; initialLimit: number } | { fixedLimit: number };
  /** unique per process; default host:pid:random */
  instanceId?: string;
}

const NEVER_SHED = new Set(['/healthz', '/readyz', '/metrics']);
const CRITICAL = new Set(['POST /v1/orders/:id/pay', 'POST /webhooks/payments', 'GET /v1/operations/:id']);
const SHEDDABLE_PREFIXES = ['/docs', '/openapi.json', '/problems', '/'];

/** how early a route is shed under pressure, by its template: computed once per route, never per request */
export function criticalityOf(route: { method: string; url: string }): Criticality {
  const { url } = route;
  const method = route.method === 'HEAD' ? 'GET' : route.method; // Fastify answers HEAD with the GET route
  if (NEVER_SHED.has(url)) return 'exempt';
  if (CRITICAL.has(`${method} ${url}`)) return 'critical';
  if (url.startsWith('/v1/')) {
    const list = method === 'GET' && !url.endsWith('/:id');
    return list ? 'sheddable' : 'normal';
  }
  if (url === '/webhooks/payments') return 'critical';
  // an operator diagnosing an overload must get in: the console is shed last
  if (url === '/console' || url.startsWith('/console/')) return 'critical';
  return SHEDDABLE_PREFIXES.some((p) => url.startsWith(p)) ? 'sheddable' : 'normal';
}

function isLongPoll(request: { headers: IncomingHttpHeaders }): boolean {
  const prefer = request.headers.prefer;
  return typeof prefer === 'string' && /\bwait\s*=/i.test(prefer);
}

/** the route class whose quota a request spends; undefined = not limited */
export function routeClassOf(request: FastifyRequest): RouteClass | undefined {
  const route = request.routeOptions.url;
  if (route === undefined || !route.startsWith('/v1/')) return undefined;
  if (request.method === 'GET' || request.method === 'HEAD') {
    return route === '/v1/operations/:id' && isLongPoll(request) ? 'long-polls' : 'reads';
  }
  return 'writes';
}

/** whose budget a request spends: its tenant, or an operator's own (operators are nobody's tenant) */
function partitionOf(request: FastifyRequest): string | undefined {
  return request.principal ? principalScope(request.principal) : undefined;
}

export interface TrafficDeps {
  db: Queryable;
  clock: Clock;
  errors: BackgroundErrors;
  registry: Registry;
}

/**
 * Load shedding before Fastify: pass `serverFactory` to `Fastify()` (the gate
 * runs in the server's request handler, so a refusal costs a prebuilt 503),
 * then `registerLoadShedding` before the routes. Undefined: no shedding.
 */
export function createTrafficLoadShedding(
  options: TrafficOptions,
  deps: {
    registry: Registry;
    requestId: (request: IncomingMessage) => string;
    /** true for a request whose tenant is already over its quota: it will be a 429, no work */
    overQuota?: (request: IncomingMessage) => boolean;
  },
): LoadShedding | undefined {
  const bounds = options.loadShedding;
  if (!bounds) return undefined;
  const limiter =
    'fixedLimit' in bounds
      ? createFixedConcurrencyLimit({ fixedLimit: bounds.fixedLimit })
      : createAdaptiveConcurrencyLimit({ ...bounds });
  return createLoadShedding({
    limiter,
    criticalityOf,
    // a long-poll holds its connection without working, and a request over its tenant's quota will
    // only be refused: admitted by class, not counted in flight — one tenant's flood never takes
    // the slots other tenants' work needs
    measure: (request) => !isLongPoll(request) && !deps.overQuota?.(request),
    registry: deps.registry,
    requestId: deps.requestId,
  });
}

/** Teach the gate the routes (register before them) and flush its summary on close. */
export async function registerLoadShedding(server: FastifyInstance, shedding: LoadShedding | undefined) {
  if (shedding) await server.register(shedding.plugin);
}

/** The per-tenant rate limiter (shared by every web process through Postgres); undefined: no limits. */
export function createTrafficRateLimiter(
  options: TrafficOptions,
  deps: TrafficDeps,
): RateLimiter | undefined {
  const config = options.rateLimits;
  if (!config) return undefined;
  const policies: RateLimitPolicies = Object.fromEntries(
    Object.entries(config.limits).map(([name, limit]) => [name, { limit, windowS: config.windowS }]),
  );
  const store = createPostgresRateLimitStore({
    db: deps.db,
    instanceId:
      options.instanceId ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`,
    clock: deps.clock,
    errors: deps.errors,
    syncIntervalMs: config.syncIntervalMs,
    registry: deps.registry,
  });
  return createRateLimiter({ policies, clock: deps.clock, store });
}

/**
 * Is this raw request's tenant already over its quota for the request's class? A look at the
 * verification cache and the limiter, no lookup and nothing spent (an unknown key: false).
 */
export function overQuotaProbe(verifier: ApiKeyVerifier, limiter: RateLimiter | undefined) {
  return (request: IncomingMessage): boolean => {
    if (!limiter || !request.url?.startsWith('/v1/')) return false;
    const match = /^Bearer +(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    const principal = match ? verifier.peek(match[1])?.principal : undefined;
    if (!principal) return false;
    const className = request.method === 'GET' || request.method === 'HEAD' ? 'reads' : 'writes';
    return limiter.exhausted(principalScope(principal), className);
  };
}

/** Per-tenant rate limits: register after the auth plugin (they read the principal). */
export async function registerRateLimits(
  server: FastifyInstance,
  limiter: RateLimiter | undefined,
  options: TrafficOptions,
  deps: TrafficDeps,
  shedding?: LoadShedding,
) {
  const config = options.rateLimits;
  if (!config || !limiter) return;
  await server.register(rateLimits, {
    limiter,
    classOf: routeClassOf,
    partitionOf,
    metrics: createRateLimitMetrics(deps.registry),
    refusalDelayMs: (decision) => Math.min(config.refusalDelayMs ?? 500, (decision.retryAfterS * 1000) / 2),
    // a held refusal does no work: its shedding slot goes back at once, without a latency sample,
    // so one tenant's flood of 429s never crowds out other tenants nor shrinks the concurrency limit
    onRefusal: (_request, reply) => shedding?.giveBack(reply.raw),
  });
  // a replay did no new work: its unit goes back
  server.addHook('onSend', (request, reply, payload, done) => {
    if (reply.getHeader('idempotent-replayed') === 'true') request.rateLimit?.refund();
    done(null, payload);
  });
}
