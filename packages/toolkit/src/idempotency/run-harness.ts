/**
 * What the engine's run() tests share (run.test.ts, run-store.test.ts): a
 * database with a `notes` table and the hooks that clean it, a problem
 * registry with four custom problems, an app around createIdempotencyEngine
 * whose statements can be refused by a pool wrapper, and readers of what was
 * written. Test support, not part of the package (excluded from the build).
 */
import { after, afterEach, before } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { createHttpMetrics } from '../observability/index.ts';
import { migrate, type Pool } from '../postgres/index.ts';
import { coreProblems, createProblemRegistry, type ProblemType, problems } from '../problems/index.ts';
import { createTestDatabase, metricByLabel, type TestDatabase } from '../testing/index.ts';
import {
  createIdempotencyEngine,
  createIdempotencyMetrics,
  type HandlerResult,
  idempotency,
  idempotencyMigrations,
  idempotencyProblems,
} from './index.ts';

/** Call once at the top of a test file: registers the file's database hooks. */
export function createRunHarness() {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ template: 'template0' });
    await db.pool.query('CREATE TABLE notes (id bigserial PRIMARY KEY, text text NOT NULL)');
    await migrate(db.pool, [...idempotencyMigrations]);
  });
  after(() => db?.close());

  const apps: FastifyInstance[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await db.pool.query('TRUNCATE notes, idempotency_keys');
  });

  const custom = (slug: string, status: number, category: ProblemType['category']): ProblemType => ({
    slug,
    status,
    category,
    title: slug,
    retryable: false,
    description: slug,
  });
  const registry = createProblemRegistry(coreProblems, idempotencyProblems, [
    custom('note-conflict', 409, 'conflict'),
    custom('note-partner-down', 503, 'dependency'),
    custom('note-stale', 412, 'precondition'),
    custom('note-odd-500', 500, 'conflict'),
  ]);

  /** The pool, except that statements matching `refuse` fail (the rest reach Postgres). */
  function refusing(pool: Pool, refuse: (text: string) => boolean): Pool {
    return new Proxy(pool, {
      get(target, prop, receiver) {
        if (prop !== 'query') {
          const value = Reflect.get(target, prop, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return (config: string | { text: string }, values?: unknown[]) => {
          const text = typeof config === 'string' ? config : config.text;
          if (refuse(text)) return Promise.reject(new Error('refused by the test'));
          return target.query(config as string, values);
        };
      },
    });
  }

  interface Options {
    pool?: Pool;
    leaseS?: number;
    waitMs?: number;
    maxStoredBytes?: number;
    storedBody?: (result: HandlerResult) => unknown;
    afterCommit?: (result: HandlerResult) => Promise<HandlerResult | undefined>;
    handler?: (text: string) => HandlerResult | Promise<HandlerResult>;
  }

  async function instance(options: Options = {}) {
    const reports: { component: string; message: string; route: unknown }[] = [];
    const metrics = createHttpMetrics();
    const app = Fastify();
    await app.register(problems, { registry });
    await app.register(idempotency, { db: db.pool, tenantOf: () => 'default' });
    const counter = createIdempotencyMetrics(metrics.registry).requests;
    const { storedBody } = options;
    const engine = createIdempotencyEngine({
      db: options.pool ?? db.pool,
      registry,
      counter,
      retentionS: 86_400,
      leaseS: options.leaseS ?? 30,
      waitMs: options.waitMs,
      maxStoredBytes: options.maxStoredBytes,
      storedBody: storedBody ? (_request, result) => storedBody(result) : undefined,
      errors: {
        report: (component, error, context) =>
          reports.push({ component, message: (error as Error).message, route: context?.route }),
      },
    });
    const handle =
      options.handler ?? ((text: string) => ({ status: 201, body: { text }, headers: { Location: '/n/1' } }));
    for (const [url, keyed] of [
      ['/notes', true],
      ['/plain', false],
    ] as const) {
      app.post<{ Body: { text: string } }>(url, { config: { idempotency: keyed } }, (request, reply) =>
        engine.run(
          request,
          reply,
          async (tx) => {
            await tx.query('INSERT INTO notes (text) VALUES ($1)', [request.body.text]);
            return handle(request.body.text);
          },
          { afterCommit: options.afterCommit },
        ),
      );
    }
    for (const [url, keyed] of [
      ['/peek', true],
      ['/peek-plain', false],
    ] as const) {
      app.post<{ Body: { text: string } }>(url, { config: { idempotency: keyed } }, async (request, reply) =>
        (await engine.replayIfCompleted(request, reply)) ? reply : { replayed: false },
      );
    }
    await app.ready();
    apps.push(app);
    const outcomes = () => metricByLabel(counter, 'outcome');
    return { app, reports, outcomes };
  }

  const post = (app: FastifyInstance, key: string | undefined, text = 'hello', url = '/notes') =>
    app.inject({
      method: 'POST',
      url,
      headers: key === undefined ? {} : { 'idempotency-key': key },
      payload: { text },
    });

  async function notes(): Promise<string[]> {
    return (await db.pool.query<{ text: string }>('SELECT text FROM notes ORDER BY id')).rows.map(
      (r) => r.text,
    );
  }
  async function keyRow(key: string) {
    const { rows } = await db.pool.query<{
      state: string;
      response_status: number | null;
      body: string | null;
    }>(
      `SELECT state, response_status, convert_from(response_body, 'UTF8') AS body FROM idempotency_keys WHERE key = $1`,
      [key],
    );
    return rows[0];
  }

  return {
    pool: () => db.pool,
    registry,
    refusing,
    instance,
    post,
    notes,
    keyRow,
  };
}
