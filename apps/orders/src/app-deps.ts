/** What buildApp (app.ts) takes and gives back, and the one problem registry of the app. */
import type { ApiKeyVerifier } from '@steadfast/toolkit/auth';
import type { FaultPoints } from '@steadfast/toolkit/faults';
import {
  type CoalesceOptions,
  type createIdempotencyMetrics,
  idempotencyProblems,
} from '@steadfast/toolkit/idempotency';
import type { Clock, IdGenerator, RandomBytes } from '@steadfast/toolkit/ids';
import { loadSheddingProblems } from '@steadfast/toolkit/load-shedding';
import type { BackgroundErrors, HttpMetrics, Logger, Tracer } from '@steadfast/toolkit/observability';
import type { Migration, Pool } from '@steadfast/toolkit/postgres';
import { coreProblems, createProblemRegistry, type ProblemRegistry } from '@steadfast/toolkit/problems';
import { rateLimitProblems } from '@steadfast/toolkit/rate-limits';
import { dependencyProblems } from '@steadfast/toolkit/resilience';
import { versioningProblems } from '@steadfast/toolkit/versioning';
import { type WebhookMetrics, webhookProblems } from '@steadfast/toolkit/webhooks';
import type { FastifyInstance } from 'fastify';
import type { ConsoleOptions, createProcessHistory } from './console/wiring.ts';
import type { PriceSource } from './domain/pricing.ts';
import type { createOrdersLineage } from './lineage/wiring.ts';
import type { Partners, PartnerTuning, PartnerUrls } from './partners/index.ts';
import { orderProblems } from './problems.ts';
import type { HttpLimits } from './server-options.ts';
import type { TrafficOptions } from './traffic.ts';

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
    /** group commit of creates and key lookups (default on; false: one statement per request, for benchmarks) */
    coalesce?: CoalesceOptions | false;
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
