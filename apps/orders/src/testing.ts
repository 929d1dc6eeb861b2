/**
 * buildTestApp(): the Orders API on its own fresh database, a tenant with an
 * API key, an operator with its key (operator routes), captured logs, and an `inject` that checks every response against
 * the app's own OpenAPI document. Built from toolkit/testing.
 */
import { randomUUID } from 'node:crypto';
import { createApiKey, createOperator, createTenant } from '@steadfast/toolkit/auth';
import type { Clock } from '@steadfast/toolkit/ids';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import { createLogger } from '@steadfast/toolkit/observability';
import {
  createContractChecker,
  createLogCapture,
  createTestDatabase,
  type LogCapture,
  type TestDatabase,
} from '@steadfast/toolkit/testing';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { type App, type AppDeps, buildApp } from './app.ts';
import { appMigrations } from './migrations.ts';
import { createOrdersWorker, type OrdersWorkerOptions } from './worker.ts';

type InjectResponse = Awaited<ReturnType<FastifyInstance['inject']>>;

export interface TestTenant {
  tenantId: string;
  apiKey: string;
  keyId: string;
}

export interface TestApp {
  server: FastifyInstance;
  /** what buildApp returned (metrics, ids, partners) */
  built: App;
  db: TestDatabase;
  logs: LogCapture;
  /** the tenant whose key `inject` sends by default */
  tenant: TestTenant;
  /** an operator's key: the one way into operator routes (`apiKey: app.operatorKey`) */
  operatorKey: string;
  operatorId: string;
  createTenant(options?: { name?: string }): Promise<TestTenant>;
  /**
   * `apiKey: null` sends no Authorization header. POSTs get a fresh
   * Idempotency-Key unless one is given, or `idempotencyKey: null`.
   */
  inject(
    options: InjectOptions & { apiKey?: string | null; idempotencyKey?: string | null },
  ): Promise<InjectResponse>;
  /** contract violations seen so far */
  violations: string[];
  close(): Promise<void>;
}

export async function buildTestApp(
  overrides: Partial<Omit<AppDeps, 'db' | 'logger'>> & {
    clock?: Clock;
    /** an existing database to run against (closed with the app); default: a fresh clone of the template */
    database?: TestDatabase;
  } = {},
) {
  const { database, ...deps } = overrides;
  const db = database ?? (await createTestDatabase());
  const logs = createLogCapture();
  const ids = createIdGenerator({ clock: overrides.clock });
  const app = await buildApp({
    db: db.pool,
    logger: createLogger({ level: 'info', destination: logs.stream }),
    migrations: appMigrations(),
    ids,
    // closing waits for keep-alive connections (e.g. the sandbox's webhook deliveries): keep them short
    keepAliveTimeoutMs: 1000,
    ...deps,
  });
  const server = app.server;
  const makeTenant = async (options: { name?: string } = {}) =>
    createTenant(db.pool, ids, { name: options.name ?? 'Test tenant' });
  const tenant = await makeTenant({ name: 'Tenant A' });
  const { operatorId } = await createOperator(db.pool, ids, { name: 'Test operator' });
  const operatorKey = (await createApiKey(db.pool, ids, { operatorId, name: 'test' })).apiKey;
  // each answer is checked against the document of the API version that answered it
  const checkers = new Map<string, ReturnType<typeof createContractChecker>>();
  const checkerFor = (version: string | undefined) => {
    const key = version ?? '';
    let checker = checkers.get(key);
    if (!checker) {
      const url = version ? `/openapi.json?version=${encodeURIComponent(version)}` : '/openapi.json';
      checker = server.inject({ method: 'GET', url }).then((r) => createContractChecker(r.json()));
      checkers.set(key, checker);
    }
    return checker;
  };
  await checkerFor(undefined);
  const violations: string[] = [];

  const testApp: TestApp = {
    server,
    built: app,
    db,
    logs,
    tenant,
    operatorKey,
    operatorId,
    createTenant: makeTenant,
    violations,
    async inject(options) {
      const { apiKey, idempotencyKey, ...rest } = options;
      const headers: Record<string, string> = { ...(rest.headers as Record<string, string>) };
      const key = apiKey === undefined ? tenant.apiKey : apiKey;
      if (key !== null && headers.authorization === undefined) headers.authorization = `Bearer ${key}`;
      if (rest.method === 'POST' && idempotencyKey !== null && headers['idempotency-key'] === undefined) {
        headers['idempotency-key'] = idempotencyKey ?? randomUUID();
      }
      const response = await server.inject({ ...rest, headers });
      const version = response.headers['steadfast-version'];
      const checker = await checkerFor(typeof version === 'string' ? version : undefined);
      violations.push(
        ...checker.check({
          method: String(rest.method ?? 'GET'),
          path: String(rest.url ?? '/'),
          status: response.statusCode,
          contentType: response.headers['content-type'] as string | undefined,
          body: response.body,
        }),
      );
      return response;
    },
    async close() {
      await server.close();
      await db.close();
      if (violations.length)
        throw new Error(`responses broke the OpenAPI contract:\n${violations.join('\n')}`);
    },
  };
  return testApp;
}

export const ORDER_BODY = { currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 2 }] };

/** POST a valid order and return its parsed body. */
export async function createOrder(app: TestApp, body: object = ORDER_BODY, apiKey?: string) {
  const response = await app.inject({ method: 'POST', url: '/v1/orders', payload: body, apiKey });
  if (response.statusCode !== 201) throw new Error(`create failed: ${response.statusCode} ${response.body}`);
  return response.json() as { id: string; status: string; version: number; [key: string]: unknown };
}

/**
 * The worker role on a test app's database, metrics, ids and partners, with
 * quick retries (3 attempts, 50 ms apart at most) and silent logs; not started.
 */
export function createTestWorker(app: TestApp, options: Partial<OrdersWorkerOptions> = {}) {
  const { partners } = app.built;
  if (!partners) throw new Error('createTestWorker needs an app built with partners');
  return createOrdersWorker({
    pool: app.db.pool,
    log: createLogger({ level: 'silent' }),
    registry: app.built.metrics.registry,
    webhookMetrics: app.built.webhookMetrics,
    ids: app.built.ids,
    partners,
    jobMaxAttempts: 3,
    jobMaxDelayMs: 50,
    ...options,
  });
}

/**
 * The Standard Webhooks headers a partner sends with `payload` (exact text),
 * signed with `secret`: `webhook-id`, `webhook-timestamp`, `webhook-signature`.
 */
export function signedWebhookHeaders(
  secret: string,
  payload: string,
  options: { id?: string; at?: Date } = {},
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const id = options.id ?? `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, payload),
  };
}
