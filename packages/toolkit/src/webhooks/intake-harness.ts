/**
 * Shared set-up of the webhook intake tests (test support, not part of the
 * package): a migrated database, a fixed clock and deliveries signed as the
 * Standard Webhooks spec defines it, an intake app, and a database wrapper
 * that records each statement's name and can hold inserts or refuse one
 * statement — so batches form, and fail, when the test says so.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { after, afterEach, before } from 'node:test';
import Fastify, { type FastifyInstance, type LightMyRequestResponse, type RouteOptions } from 'fastify';
import { Registry } from 'prom-client';
import { createHttpMetrics, observability } from '../observability/index.ts';
import { migrate, type Queryable } from '../postgres/index.ts';
import { coreProblems, createProblemRegistry, problems } from '../problems/index.ts';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { type IntakeOptions, registerWebhookIntake } from './intake.ts';
import { createWebhookMetrics, type WebhookMetrics } from './metrics.ts';
import { webhooksMigrations } from './migrations.ts';
import { webhookProblems } from './problems.ts';
import { createWebhookVerifier, type WebhookVerifier } from './verify.ts';

/** 32 bytes 0x01..0x20 in base64 */
export const KEY_B64 = 'AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=';
export const SECRET = `whsec_${KEY_B64}`;
/** the intake's clock: 2026-01-01T00:00:00Z */
export const NOW_MS = Date.UTC(2026, 0, 1);

export async function createInboxDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...webhooksMigrations]);
  return db;
}

/**
 * Call inside a `describe`: a migrated database for its tests, the inbox emptied after each
 * test, closed at the end. `pool` is the live one once the `before` hook has run.
 */
export function useInboxDatabase(): { readonly pool: TestDatabase['pool'] } {
  let db: TestDatabase | undefined;
  before(async () => {
    db = await createInboxDatabase();
  });
  afterEach(async () => {
    await db?.pool.query('TRUNCATE webhook_inbox');
  });
  after(async () => {
    await db?.close();
  });
  return {
    get pool() {
      if (!db) throw new Error('useInboxDatabase: the pool is there once the before hook has run');
      return db.pool;
    },
  };
}

/** Standard Webhooks headers for these bytes, signed now (NOW_MS) with SECRET */
export function signedHeaders(body: string | Buffer, id: string): Record<string, string> {
  const timestamp = String(NOW_MS / 1000);
  const signature = createHmac('sha256', Buffer.from(KEY_B64, 'base64'))
    .update(`${id}.${timestamp}.`)
    .update(body)
    .digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
  };
}

export interface RecordingDb extends Queryable {
  /** the names of the named statements sent, in order */
  names: string[];
  /** inserts of the inbox (`webhooks.*` statements) wait from now until the returned release */
  hold(): () => void;
  /** inserts waiting on a hold */
  waiting(): number;
  /** a statement of this name fails with `refused by the test` */
  refuse(name: string): void;
}

export function recordingDb(inner: Queryable): RecordingDb {
  const names: string[] = [];
  let gate: Promise<void> | undefined;
  let waiting = 0;
  const refused = new Set<string>();
  const query = async (config: unknown, values?: unknown) => {
    const name =
      typeof config === 'object' && config !== null ? (config as { name?: string }).name : undefined;
    if (name !== undefined) names.push(name);
    if (name?.startsWith('webhooks.') && gate) {
      waiting++;
      await gate;
      waiting--;
    }
    if (name !== undefined && refused.has(name)) throw new Error('refused by the test');
    return (inner.query as (c: unknown, v?: unknown) => Promise<unknown>)(config, values);
  };
  return {
    query: query as Queryable['query'],
    names,
    hold() {
      let open = () => {};
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      return () => {
        gate = undefined;
        open();
      };
    },
    waiting: () => waiting,
    refuse: (name) => void refused.add(name),
  };
}

export interface IntakeApp {
  app: FastifyInstance;
  metrics: WebhookMetrics;
  /** verifications so far: a delivery verified has reached the writer (synchronously after) */
  verified(): number;
  deliver(body: string | Buffer, headers: Record<string, string>): Promise<LightMyRequestResponse>;
}

/** An intake for source `billing` at `/webhooks/billing`, ready. */
export async function startIntake(
  options: Partial<IntakeOptions> & {
    db: Queryable;
    /** the observability plugin first (it keeps the request's traceparent) */
    observe?: boolean;
    /** routes as registered, to read their options */
    routes?: RouteOptions[];
    /** false: the caller awaits `app.ready()` (default true) */
    ready?: boolean;
  },
): Promise<IntakeApp> {
  const { observe, routes, ready = true, ...intake } = options;
  const app = Fastify();
  if (routes) app.addHook('onRoute', (route) => void routes.push(route));
  if (observe) await app.register(observability, { metrics: createHttpMetrics() });
  await app.register(problems, { registry: createProblemRegistry(coreProblems, webhookProblems) });
  const inner = createWebhookVerifier([SECRET]);
  let verified = 0;
  const verifier: WebhookVerifier = {
    verify(rawBody, headers, nowMs) {
      verified++;
      return inner.verify(rawBody, headers, nowMs);
    },
  };
  const metrics = options.metrics ?? createWebhookMetrics(new Registry());
  await registerWebhookIntake(app, {
    source: 'billing',
    path: '/webhooks/billing',
    verifier,
    newId: () => randomUUID(),
    clock: { now: () => NOW_MS },
    metrics,
    ...intake,
  });
  if (ready) await app.ready();
  return {
    app,
    metrics,
    verified: () => verified,
    deliver: (body, headers) =>
      app.inject({ method: 'POST', url: '/webhooks/billing', headers, payload: body }),
  };
}
