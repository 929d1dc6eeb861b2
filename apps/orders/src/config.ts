/**
 * One typed configuration object, read from the environment once at start.
 * Nothing else in Steadfast reads `process.env`. A bad value throws a
 * ConfigError whose message is one line naming the variable and what is allowed.
 */
import path from 'node:path';
import { API_KEY_PATTERN } from '@steadfast/toolkit/auth';
import { type FaultAction, type FaultPoint, parseFaultSpec } from '@steadfast/toolkit/faults';
import { IDEMPOTENCY_FAULT_POINTS } from '@steadfast/toolkit/idempotency';
import { type ConsoleConfig, consoleConfig } from './config-console.ts';
import { type LineageConfig, lineageConfig } from './config-lineage.ts';
import { type TracingConfig, tracingConfig } from './config-tracing.ts';
import { type TrafficConfig, trafficConfig } from './config-traffic.ts';
import { ConfigError, type Env, integer, onOff, postgresUrl, url } from './config-values.ts';

export type { ConsoleConfig } from './config-console.ts';
export type { LineageConfig } from './config-lineage.ts';
export type { TracingConfig } from './config-tracing.ts';
export type { TrafficConfig } from './config-traffic.ts';
export { ConfigError } from './config-values.ts';

/** every fault point STEADFAST_FAULTS may arm: the toolkit's, then the pay flow's */
export const APP_FAULT_POINTS = [
  ...IDEMPOTENCY_FAULT_POINTS,
  'after-charge-before-commit',
  'after-commit-before-ack',
] as const;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** what a command runs as: decides which settings it needs (`configProblems`) */
export type Role = 'start' | 'web' | 'worker' | 'sandbox' | 'migrate' | 'tenant';

export interface Config {
  /** STEADFAST_ENV, else NODE_ENV: production refuses generated secrets and the embedded database */
  environment: 'production' | 'development';
  /** STEADFAST_ALLOW_EMBEDDED_DB=1: the embedded cluster even in production */
  allowEmbeddedDb: boolean;
  port: number;
  host: string;
  sandboxPort: number;
  databaseUrl: string | undefined;
  /**
   * DATABASE_DIRECT_URL: a direct connection for LISTEN/NOTIFY, session advisory locks
   * (migrations) and graphile-worker, when DATABASE_URL goes through a transaction-mode pooler
   */
  databaseDirectUrl: string | undefined;
  /**
   * bounds on every database wait (DATABASE_CONNECT_TIMEOUT_MS, DATABASE_STATEMENT_TIMEOUT_MS);
   * preparedStatements (DATABASE_PREPARED_STATEMENTS): named statements on DATABASE_URL
   */
  /** pool settings of every role; `max` is the pool size of a server or worker process (tools use 2) */
  database: {
    max: number;
    connectTimeoutMs: number;
    statementTimeoutMs: number;
    preparedStatements: boolean;
  };
  home: string;
  demoApiKey: string | undefined;
  /** API key of the demo operator (operator routes); generated once into the home like the demo key */
  demoOperatorKey: string | undefined;
  pgPort: number | undefined;
  partners: {
    paymentsUrl: string;
    messagingUrl: string;
    pricingUrl: string;
    analyticsUrl: string;
    recommendationsUrl: string;
  };
  paymentsWebhookSecret: string | undefined;
  paymentsWebhookToleranceS: number;
  /** undefined: this API's own /webhooks/payments */
  paymentsWebhookUrl: string | undefined;
  idempotencyRetentionS: number;
  idempotencyLeaseS: number;
  jobMaxAttempts: number;
  jobMaxDelayMs: number;
  workerDeadAfterS: number;
  workerMetricsPort: number;
  reconcileIntervalS: number;
  reconcilePendingAgeS: number;
  paymentAbandonAfterS: number;
  /** finished operations and delivered outbox rows are kept this long */
  operationsRetentionS: number;
  /** slow-client and connection bounds of the API server */
  http: { headersTimeoutMs: number; requestTimeoutMs: number; maxConnections: number };
  logLevel: LogLevel;
  /** API key for `steadfast check` (STEADFAST_CHECK_API_KEY) */
  checkApiKey: string | undefined;
  /** armed fault points (testing only): STEADFAST_FAULTS=name[:kill|throw],... */
  faults: Map<FaultPoint, FaultAction>;
  /** OpenTelemetry traces over OTLP/HTTP; undefined = off (the default) */
  tracing: TracingConfig | undefined;
  /** rate limits, load shedding, the failed-auth throttle, trusted proxies (config-traffic.ts) */
  traffic: TrafficConfig;
  /** request lineage: LINEAGE, LINEAGE_RETENTION_DAYS (config-lineage.ts) */
  lineage: LineageConfig;
  /** the operations console: CONSOLE, CONSOLE_HISTORY_* and CONSOLE_STUCK_AFTER_S (config-console.ts) */
  console: ConsoleConfig;
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function environment(env: Env): Config['environment'] {
  const raw = env.STEADFAST_ENV?.trim();
  if (raw) {
    if (raw !== 'production' && raw !== 'development') {
      throw new ConfigError('STEADFAST_ENV', `must be production or development, got ${JSON.stringify(raw)}`);
    }
    return raw;
  }
  return env.NODE_ENV?.trim() === 'production' ? 'production' : 'development';
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST?.trim() || '127.0.0.1';
  const sandboxPort = integer(env, 'SANDBOX_PORT', 3001, 0, 65535);
  const databaseUrl = postgresUrl(env, 'DATABASE_URL');
  const directRaw = postgresUrl(env, 'DATABASE_DIRECT_URL');
  if (directRaw !== undefined && databaseUrl === undefined) {
    throw new ConfigError('DATABASE_DIRECT_URL', 'needs DATABASE_URL (the pooled connection) beside it');
  }
  // the same URL twice is no pooler: one connection string for everything
  const databaseDirectUrl = directRaw === databaseUrl ? undefined : directRaw;
  // behind a pooler (a separate direct URL) named statements are off unless asked for (PgBouncer >= 1.21)
  const preparedStatements = onOff(env, 'DATABASE_PREPARED_STATEMENTS', databaseDirectUrl === undefined);
  const home = path.resolve(cwd, env.STEADFAST_HOME?.trim() || '.steadfast');
  const demoApiKey = env.STEADFAST_DEMO_API_KEY?.trim() || undefined;
  if (demoApiKey !== undefined && !API_KEY_PATTERN.test(demoApiKey)) {
    throw new ConfigError('STEADFAST_DEMO_API_KEY', 'must be 20-200 URL-safe characters (A-Z a-z 0-9 _ -)');
  }
  const demoOperatorKey = env.STEADFAST_DEMO_OPERATOR_KEY?.trim() || undefined;
  if (demoOperatorKey !== undefined && !API_KEY_PATTERN.test(demoOperatorKey)) {
    throw new ConfigError(
      'STEADFAST_DEMO_OPERATOR_KEY',
      'must be 20-200 URL-safe characters (A-Z a-z 0-9 _ -)',
    );
  }
  if (demoOperatorKey !== undefined && demoOperatorKey === demoApiKey) {
    throw new ConfigError('STEADFAST_DEMO_OPERATOR_KEY', 'must differ from STEADFAST_DEMO_API_KEY');
  }
  const pgPortRaw = env.STEADFAST_PG_PORT;
  const pgPort =
    pgPortRaw === undefined || pgPortRaw === '' ? undefined : integer(env, 'STEADFAST_PG_PORT', 0, 1, 65535);
  const sandboxBase = `http://127.0.0.1:${sandboxPort}`;
  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const secret = env.PAYMENTS_WEBHOOK_SECRET?.trim() || undefined;
  if (secret !== undefined && !secret.split(',').every((s) => /^whsec_[A-Za-z0-9+/=]{8,}$/.test(s.trim()))) {
    throw new ConfigError(
      'PAYMENTS_WEBHOOK_SECRET',
      'must be one or more comma-separated whsec_<base64> secrets',
    );
  }
  const headersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000);
  const requestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000);
  if (requestTimeoutMs < headersTimeoutMs) {
    throw new ConfigError(
      'HTTP_REQUEST_TIMEOUT_MS',
      `must be at least HTTP_HEADERS_TIMEOUT_MS (${headersTimeoutMs}), got ${requestTimeoutMs}`,
    );
  }
  const maxConnections = integer(env, 'HTTP_MAX_CONNECTIONS', 4096, 1, 1_000_000);
  let faults: Map<FaultPoint, FaultAction>;
  try {
    faults = parseFaultSpec(env.STEADFAST_FAULTS, APP_FAULT_POINTS);
  } catch (error) {
    throw new ConfigError('STEADFAST_FAULTS', (error as Error).message);
  }
  return {
    environment: environment(env),
    allowEmbeddedDb: onOff(env, 'STEADFAST_ALLOW_EMBEDDED_DB', false),
    faults,
    port,
    host,
    sandboxPort,
    databaseUrl,
    databaseDirectUrl,
    database: {
      max: integer(env, 'DATABASE_POOL_MAX', 20, 1, 1000),
      connectTimeoutMs: integer(env, 'DATABASE_CONNECT_TIMEOUT_MS', 3000, 100, 600_000),
      statementTimeoutMs: integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 5000, 100, 3_600_000),
      preparedStatements,
    },
    home,
    demoApiKey,
    demoOperatorKey,
    pgPort,
    partners: {
      paymentsUrl: url(env, 'PAYMENTS_URL', `${sandboxBase}/payments`),
      messagingUrl: url(env, 'MESSAGING_URL', `${sandboxBase}/messaging`),
      pricingUrl: url(env, 'PRICING_URL', `${sandboxBase}/pricing`),
      analyticsUrl: url(env, 'ANALYTICS_URL', `${sandboxBase}/analytics`),
      recommendationsUrl: url(env, 'RECOMMENDATIONS_URL', `${sandboxBase}/recommendations`),
    },
    paymentsWebhookSecret: secret,
    paymentsWebhookToleranceS: integer(env, 'PAYMENTS_WEBHOOK_TOLERANCE_S', 300, 1, 86400),
    paymentsWebhookUrl: env.PAYMENTS_WEBHOOK_URL ? url(env, 'PAYMENTS_WEBHOOK_URL', '') : undefined,
    idempotencyRetentionS: integer(env, 'IDEMPOTENCY_RETENTION_S', 86400, 60, 30 * 86400),
    idempotencyLeaseS: integer(env, 'IDEMPOTENCY_LEASE_S', 30, 1, 3600),
    jobMaxAttempts: integer(env, 'JOB_MAX_ATTEMPTS', 8, 1, 100),
    jobMaxDelayMs: integer(env, 'JOB_MAX_DELAY_MS', 60000, 10, 86_400_000),
    workerDeadAfterS: integer(env, 'WORKER_DEAD_AFTER_S', 30, 5, 86400),
    workerMetricsPort: integer(env, 'WORKER_METRICS_PORT', 9465, 0, 65535),
    reconcileIntervalS: integer(env, 'RECONCILE_INTERVAL_S', 60, 1, 86400),
    reconcilePendingAgeS: integer(env, 'RECONCILE_PENDING_AGE_S', 120, 1, 30 * 86400),
    paymentAbandonAfterS: integer(env, 'PAYMENT_ABANDON_AFTER_S', 3600, 60, 30 * 86400),
    operationsRetentionS: integer(env, 'OPERATIONS_RETENTION_S', 30 * 86400, 60, 365 * 86400),
    http: { headersTimeoutMs, requestTimeoutMs, maxConnections },
    logLevel,
    checkApiKey: env.STEADFAST_CHECK_API_KEY?.trim() || undefined,
    tracing: tracingConfig(env),
    traffic: trafficConfig(env),
    lineage: lineageConfig(env),
    console: consoleConfig(env),
  };
}

const DATABASE_ROLES: Role[] = ['start', 'web', 'worker', 'migrate', 'tenant'];
/** roles that verify or sign payment webhooks */
const WEBHOOK_ROLES: Role[] = ['start', 'web', 'sandbox'];

/**
 * What this configuration lacks for `role` (every role when undefined), one
 * ConfigError per variable. In production nothing is generated: a secret
 * Steadfast would otherwise make up must be given, and the embedded database
 * needs STEADFAST_ALLOW_EMBEDDED_DB=1.
 */
export function configProblems(config: Config, role?: Role): ConfigError[] {
  const problems: ConfigError[] = [];
  if (config.environment !== 'production') return problems;
  const needs = (roles: Role[]) => role === undefined || roles.includes(role);
  if (needs(DATABASE_ROLES) && !config.databaseUrl && !config.allowEmbeddedDb) {
    problems.push(
      new ConfigError(
        'DATABASE_URL',
        'is required in production (the embedded database is for development; STEADFAST_ALLOW_EMBEDDED_DB=1 allows it)',
      ),
    );
  }
  if (needs(WEBHOOK_ROLES) && !config.paymentsWebhookSecret) {
    problems.push(
      new ConfigError(
        'PAYMENTS_WEBHOOK_SECRET',
        'is required in production (the secret shared with the payments partner is never generated there)',
      ),
    );
  }
  return problems;
}

/** loadConfig, then the first of `configProblems(role)` thrown: what every command runs on */
export function loadConfigFor(role: Role, env: Env = process.env, cwd = process.cwd()): Config {
  const config = loadConfig(env, cwd);
  const [first] = configProblems(config, role);
  if (first) throw first;
  return config;
}
