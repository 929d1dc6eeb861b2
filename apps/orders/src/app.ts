/**
 * buildApp(deps): the Orders API composed from the toolkit. No side effects at
 * import; everything it touches (database, clock, ids, prices, logger) comes in.
 */
import {
  apiKeyAuth,
  createApiKeyVerifier,
  createAuthFailureThrottle,
  principalScope,
} from '@steadfast/toolkit/auth';
import { noFaults } from '@steadfast/toolkit/faults';
import {
  createIdempotencyEngine,
  createIdempotencyMetrics,
  idempotency,
} from '@steadfast/toolkit/idempotency';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import {
  createBackgroundErrors,
  createHttpMetrics,
  createRequestIdGenerator,
  observability,
  registerHealthRoutes,
} from '@steadfast/toolkit/observability';
import { createOperationWaiter } from '@steadfast/toolkit/operations';
import { databaseErrorKind, isMigrated } from '@steadfast/toolkit/postgres';
import {
  installValidators,
  jsonBody,
  ProblemError,
  problemServerOptions,
  problems,
  registerProblemPages,
} from '@steadfast/toolkit/problems';
import {
  createWebhookMetrics,
  createWebhookVerifier,
  registerWebhookIntake,
} from '@steadfast/toolkit/webhooks';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { type App, type AppDeps, problemRegistry } from './app-deps.ts';
import { createProcessHistory, registerOperationsConsole } from './console/wiring.ts';
import { createLocalPriceList } from './domain/pricing.ts';
import { createOrdersLineage, registerLineage } from './lineage/wiring.ts';
import { registerWorkGauges } from './metrics.ts';
import { createPartners } from './partners/index.ts';
import { createRecommendationsAdapter } from './partners/recommendations.ts';
import { registerApiReference } from './routes/api-reference.ts';
import { registerApiVersionRoutes } from './routes/api-version.ts';
import { registerOrderRoutes } from './routes/index.ts';
import { registerOpenApi } from './routes/openapi.ts';
import { HTTP_LIMIT_DEFAULTS, trustProxyOption } from './server-options.ts';
import {
  createTrafficLoadShedding,
  createTrafficRateLimiter,
  overQuotaProbe,
  registerLoadShedding,
  registerRateLimits,
} from './traffic.ts';
import { registerOrdersVersioning } from './versioning-wiring.ts';

export type { App, AppDeps } from './app-deps.ts';
export { problemRegistry } from './app-deps.ts';
export { HTTP_LIMIT_DEFAULTS, type HttpLimits } from './server-options.ts';

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
    coalesce: deps.idempotency?.coalesce,
    batches: idempotencyMetrics.batches,
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
      errors,
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
