/**
 * buildApp(deps): the Orders API composed from the toolkit. No side effects at
 * import; everything it touches (database, clock, ids, prices, logger) comes in.
 */
import {
  type ApiKeyVerifier,
  apiKeyAuth,
  createApiKeyVerifier,
  createAuthFailureThrottle,
  principalScope,
} from '@steadfast/toolkit/auth';
import { type FaultPoints, noFaults } from '@steadfast/toolkit/faults';
import {
  createIdempotencyEngine,
  createIdempotencyMetrics,
  idempotency,
  idempotencyProblems,
} from '@steadfast/toolkit/idempotency';
import { type Clock, createIdGenerator, type IdGenerator, type RandomBytes } from '@steadfast/toolkit/ids';
import { loadSheddingProblems } from '@steadfast/toolkit/load-shedding';
import {
  type BackgroundErrors,
  createBackgroundErrors,
  createHttpMetrics,
  createRequestIdGenerator,
  type HttpMetrics,
  type Logger,
  observability,
  registerHealthRoutes,
  type Tracer,
} from '@steadfast/toolkit/observability';
import { createOperationWaiter } from '@steadfast/toolkit/operations';
import { databaseErrorKind, isMigrated, type Migration, type Pool } from '@steadfast/toolkit/postgres';
import {
  coreProblems,
  createProblemRegistry,
  installValidators,
  jsonBody,
  ProblemError,
  type ProblemRegistry,
  problemServerOptions,
  problems,
  registerProblemPages,
} from '@steadfast/toolkit/problems';
import { rateLimitProblems } from '@steadfast/toolkit/rate-limits';
import { dependencyProblems } from '@steadfast/toolkit/resilience';
import { versioningProblems } from '@steadfast/toolkit/versioning';
import {
  createWebhookMetrics,
  createWebhookVerifier,
  registerWebhookIntake,
  type WebhookMetrics,
  webhookProblems,
} from '@steadfast/toolkit/webhooks';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { type ConsoleOptions, createProcessHistory, registerOperationsConsole } from './console/wiring.ts';
import { createLocalPriceList, type PriceSource } from './domain/pricing.ts';
import { createOrdersLineage, registerLineage } from './lineage/wiring.ts';
import { registerWorkGauges } from './metrics.ts';
import { createPartners, type Partners, type PartnerTuning, type PartnerUrls } from './partners/index.ts';
import { createRecommendationsAdapter } from './partners/recommendations.ts';
import { orderProblems } from './problems.ts';
import { registerApiReference } from './routes/api-reference.ts';
import { registerApiVersionRoutes } from './routes/api-version.ts';
import { registerOrderRoutes } from './routes/index.ts';
import { registerOpenApi } from './routes/openapi.ts';
import { HTTP_LIMIT_DEFAULTS, type HttpLimits, trustProxyOption } from './server-options.ts';
import {
  createTrafficLoadShedding,
  createTrafficRateLimiter,
  overQuotaProbe,
  registerLoadShedding,
  registerRateLimits,
  type TrafficOptions,
} from './traffic.ts';
import { registerOrdersVersioning } from './versioning-wiring.ts';

export interface AppDeps {
  db: Pool;
  logger: Logger;
  /** the migrations this build expects; /readyz is 503 until all are applied */
  migrations: Migration[];
  clock?: Clock;
  random?: RandomBytes;
  ids?: IdGenerator;
  prices?: PriceSource;
  metrics?: HttpMetrics;
  verifier?: ApiKeyVerifier;
  /** failed authentications per client address before 429 (no database lookup); absent: not throttled */
  authFailures?: { max: number; windowS: number };
  /** per-tenant rate limits and load shedding (traffic.ts); absent: neither */
  traffic?: TrafficOptions;
  /** Fastify's trustProxy: whose X-Forwarded-For names the client address (default: nobody's) */
  trustProxy?: boolean | number | string;
  bodyLimitBytes?: number;
  /** how long an idle keep-alive connection stays open (Fastify's default: 72 s) */
  keepAliveTimeoutMs?: number;
  /** bounds that stop slow or greedy clients from holding the server (defaults: HTTP_LIMIT_DEFAULTS) */
  httpLimits?: Partial<HttpLimits>;
  idempotency?: {
    /** false: Idempotency-Key is ignored (benchmark baseline only) */
    enabled?: boolean;
    retentionS?: number;
    leaseS?: number;
    waitMs?: number;
  };
  faults?: FaultPoints;
  /** the real partners; without them prices come from the local list and nothing else is called */
  partners?: { urls: PartnerUrls; tuning?: PartnerTuning };
  /** Standard Webhooks secrets of the payments partner (several during a rotation) */
  webhooks?: { secrets: string[]; toleranceS?: number };
  /** tracing on (startTracing): request and partner-attempt spans */
  tracer?: Tracer;
  /** the operations console and the per-minute egress history this process writes (default on) */
  console?: ConsoleOptions;
  /** request lineage (default on; LINEAGE=off for benchmark baselines) */
  lineage?: { enabled?: boolean };
}

export { HTTP_LIMIT_DEFAULTS, type HttpLimits } from './server-options.ts';

export interface App {
  server: FastifyInstance;
  registry: ProblemRegistry;
  metrics: HttpMetrics;
  idempotencyMetrics: ReturnType<typeof createIdempotencyMetrics>;
  partners: Partners | undefined;
  ids: IdGenerator;
  webhookMetrics: WebhookMetrics;
  /** failures of work off the request path (logged and counted) */
  errors: BackgroundErrors;
  /** the per-minute egress history this process writes for the console; undefined when the console is off */
  history: ReturnType<typeof createProcessHistory>;
  /** the request-lineage recorder (attached to the partners' clients); undefined when off */
  lineage: ReturnType<typeof createOrdersLineage> | undefined;
}

export function problemRegistry(): ProblemRegistry {
  return createProblemRegistry(
    coreProblems,
    idempotencyProblems,
    dependencyProblems,
    webhookProblems,
    rateLimitProblems,
    loadSheddingProblems,
    versioningProblems,
    orderProblems,
  );
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const clock = deps.clock ?? { now: () => Date.now() };
  const ids = deps.ids ?? createIdGenerator({ clock, random: deps.random });
  const registry = problemRegistry();
  const metrics = deps.metrics ?? createHttpMetrics();
  const verifier = deps.verifier ?? createApiKeyVerifier({ db: deps.db, clock });
  const errors = createBackgroundErrors({ log: deps.logger, registry: metrics.registry });
  const limits = { ...HTTP_LIMIT_DEFAULTS, ...deps.httpLimits };

  const genReqId = createRequestIdGenerator(deps.random);
  // load shedding runs in the server's request handler, before Fastify: a refusal costs a prebuilt 503
  const trafficDeps = { db: deps.db, clock, errors, registry: metrics.registry };
  const rateLimiter = createTrafficRateLimiter(deps.traffic ?? {}, trafficDeps);
  const shedding = createTrafficLoadShedding(deps.traffic ?? {}, {
    registry: metrics.registry,
    requestId: genReqId,
    overQuota: overQuotaProbe(verifier, rateLimiter),
  });
  // typed as the default instance so toolkit plugins and routes accept it
  const server: FastifyInstance = Fastify({
    serverFactory: shedding?.serverFactory,
    // errors of Node's HTTP parser and of the router are problems from the registry too
    ...problemServerOptions({ registry }),
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    genReqId,
    requestIdHeader: false,
    bodyLimit: deps.bodyLimitBytes ?? 1024 * 1024,
    return503OnClosing: true,
    keepAliveTimeout: deps.keepAliveTimeoutMs ?? 72_000,
    forceCloseConnections: 'idle',
    requestTimeout: limits.requestTimeoutMs,
    trustProxy: trustProxyOption(deps.trustProxy),
    // Node checks the two timeouts every connectionsCheckingInterval (30 s by default): check each second
    // a request without Host is answered by the problems plugin (400 problem), not by Node with a bare 400
    http: {
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: 1000,
      requireHostHeader: false,
    },
  }) as unknown as FastifyInstance;
  server.server.maxConnections = limits.maxConnections;
  installValidators(server);
  // the gate learns each route's criticality as it is added: before every route (observability adds /metrics)
  await registerLoadShedding(server, shedding);
  await server.register(problems, {
    registry,
    mapError: (error) => {
      const kind = databaseErrorKind(error);
      if (!kind) return undefined;
      // logged with its kind and code: a slow query (timeout) is not mistaken for an outage
      deps.logger.warn({ kind, code: (error as { code?: string }).code }, 'database unavailable');
      return new ProblemError('database-unavailable', {
        detail:
          kind === 'timeout'
            ? 'The database did not answer in time; retry with the same Idempotency-Key.'
            : 'The database is unreachable; retry with the same Idempotency-Key.',
      });
    },
  });
  await server.register(jsonBody);
  await server.register(observability, { metrics, tracer: deps.tracer });
  // one throttle of failed authentications per process: API keys on /v1 and console sign-ins
  const authFailures = deps.authFailures
    ? createAuthFailureThrottle({
        maxFailures: deps.authFailures.max,
        windowS: deps.authFailures.windowS,
        clock,
      })
    : undefined;
  await server.register(apiKeyAuth, {
    verifier,
    protectedPrefixes: ['/v1/'],
    // a revoked or rotated key is refused by every instance at once, not after the cache TTL
    keyChanges: { pool: deps.db, errors },
    failures: authFailures,
    registry: metrics.registry,
  });
  const lineageDeps = { db: deps.db, log: deps.logger, errors, registry: metrics.registry };
  const lineage = deps.lineage?.enabled === false ? undefined : createOrdersLineage(lineageDeps);
  if (lineage) await registerLineage(server, lineage); // after auth: rows carry the principal's tenant
  // after auth: the quota is the principal's
  await registerRateLimits(server, rateLimiter, deps.traffic ?? {}, trafficDeps, shedding);
  await server.register(idempotency, {
    db: deps.db,
    enabled: deps.idempotency?.enabled,
    // an operator's keys are scoped apart from every tenant's: operator:<id>
    tenantOf: (request) => (request.principal ? principalScope(request.principal) : ''),
  });
  // after auth (the pinned version is the tenant's) and after idempotency: the key's fingerprint is of the
  // body as sent, so a retry that lands on a release from before versions (or after) still matches
  const versioning = await registerOrdersVersioning(server, {
    db: deps.db,
    clock,
    errors,
    registry: metrics.registry,
  });
  const idempotencyMetrics = createIdempotencyMetrics(metrics.registry);
  const engine = createIdempotencyEngine({
    db: deps.db,
    registry,
    counter: idempotencyMetrics.requests,
    retentionS: deps.idempotency?.retentionS ?? 86_400,
    leaseS: deps.idempotency?.leaseS ?? 30,
    waitMs: deps.idempotency?.waitMs,
    faults: deps.faults ?? noFaults,
    errors,
    // replays answer in the client's version even from a release that sends stored bytes as they are
    storedBody: versioning.storedBody,
  });
  await registerOpenApi(server, {
    registry,
    throttled: deps.authFailures !== undefined || deps.traffic?.rateLimits !== undefined,
    versions: versioning.versions,
  });

  registerHealthRoutes(server, {
    timeoutMs: 800, // a frozen database or a saturated pool: /readyz is 503 within 1 s
    notReadyReason: async () =>
      (await isMigrated(deps.db, deps.migrations)) ? undefined : 'database migrations are not all applied',
  });
  registerProblemPages(server, registry);
  const history = createProcessHistory({ db: deps.db, errors, clock, role: 'web', options: deps.console });
  const partners = deps.partners
    ? createPartners(
        deps.partners.urls,
        {
          log: deps.logger,
          registry: metrics.registry,
          clock,
          random: undefined,
          tracer: deps.tracer,
          onStaleServed: (dependency) => history?.recordStale(dependency),
        },
        deps.partners.tuning,
      )
    : undefined;
  if (partners) server.addHook('onClose', () => partners.close());
  for (const client of partners?.clients ?? []) history?.attach(client);
  if (history) server.addHook('onClose', () => history.stop()); // the last minute is written
  for (const client of partners?.clients ?? []) lineage?.attach(client);
  if (lineage) server.addHook('onClose', () => lineage.stop()); // the last rows are written
  const waiter = createOperationWaiter(deps.db);
  server.addHook('onClose', () => waiter.close());
  registerOrderRoutes(
    server,
    {
      db: deps.db,
      ids,
      clock,
      prices: deps.prices ?? partners?.prices ?? createLocalPriceList(clock),
      idempotency: engine,
      recommendations: partners?.recommendations ?? createRecommendationsAdapter(undefined),
      analytics: partners?.analytics ?? { track: () => {} },
      dependencies: partners?.clients ?? [],
      waiter,
      registry,
    },
    { verifier },
  );
  registerApiVersionRoutes(server, versioning);
  const webhookMetrics = createWebhookMetrics(metrics.registry);
  // outbox, inbox, operations, dead letters, workers: gauges read when scraped
  registerWorkGauges({ registry: metrics.registry, db: deps.db, errors, console: deps.console });
  if (deps.webhooks) {
    await registerWebhookIntake(server, {
      source: 'payments',
      path: '/webhooks/payments',
      verifier: createWebhookVerifier(deps.webhooks.secrets, deps.webhooks.toleranceS),
      db: deps.db,
      newId: () => ids.next('whk'),
      clock,
      metrics: webhookMetrics,
    });
  }
  await registerOperationsConsole(server, {
    db: deps.db,
    clock,
    ids,
    registry,
    verifier,
    clients: partners?.clients ?? [],
    options: deps.console,
    authFailures,
    versions: versioning.versions,
  });
  await registerApiReference(server);

  await server.ready();
  history?.start();
  lineage?.start();
  return {
    server,
    registry,
    metrics,
    idempotencyMetrics,
    partners,
    ids,
    webhookMetrics,
    errors,
    lineage,
    history,
  };
}
