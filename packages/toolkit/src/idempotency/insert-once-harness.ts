/**
 * What the insertOnce tests share (insert-once.test.ts, insert-once-paths.test.ts):
 * a database with a `labels` table of every column type a row effect converts,
 * the hooks that clean it, an app whose routes cover the effect's forms, and a
 * blocker that holds the only statement slot so that the next requests queue
 * and leave in one batch. Test support, not part of the package (excluded from
 * the build).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { createHttpMetrics } from '../observability/index.ts';
import { migrate } from '../postgres/index.ts';
import { coreProblems, createProblemRegistry, problems } from '../problems/index.ts';
import {
  createTestDatabase,
  type HeldRowLock,
  holdRowLock,
  metricByLabel,
  metricValues,
  type TestDatabase,
} from '../testing/index.ts';
import {
  createIdempotencyEngine,
  createIdempotencyMetrics,
  idempotency,
  idempotencyMigrations,
  idempotencyProblems,
} from './index.ts';

export type Body = { id: string; label: string; note?: string | null; short?: boolean };

/** the columns every route but /labels writes */
const LABEL_COLUMNS: [string, string][] = [
  ['id', 'text'],
  ['label', 'text'],
  ['doc', 'jsonb'],
  ['amount', 'bigint'],
  ['at', 'timestamptz'],
  ['flag', 'boolean'],
];

/** the /labels route's: every column, one array (the same array each time, as a constant would be) */
const EVERY_LABEL_COLUMN: [string, string][] = [...LABEL_COLUMNS, ['blob', 'bytea'], ['note', 'text']];

/** Call once at the top of a test file: registers the file's database hooks. */
export function createInsertOnceHarness() {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ template: 'template0' });
    await db.pool.query(`CREATE TABLE labels (
      id text PRIMARY KEY, label text NOT NULL CHECK (label <> 'bad'), doc jsonb NOT NULL,
      amount bigint NOT NULL, at timestamptz NOT NULL, flag boolean NOT NULL, blob bytea, note text)`);
    await migrate(db.pool, [...idempotencyMigrations]);
  });
  after(() => db?.close());

  const apps: FastifyInstance[] = [];
  let held: HeldRowLock | undefined;
  afterEach(async () => {
    await held?.release();
    held = undefined;
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await db.pool.query('TRUNCATE labels, idempotency_keys');
  });

  async function instance(coalesce: { maxInFlight: number } | false = { maxInFlight: 1 }) {
    const metrics = createHttpMetrics();
    const registry = createProblemRegistry(coreProblems, idempotencyProblems);
    const reported: string[] = [];
    const details: unknown[] = [];
    const app = Fastify();
    await app.register(problems, { registry });
    // duplicates in this process do not wait for each other: they may meet in one batch
    await app.register(idempotency, { db: db.pool, tenantOf: () => 'default', inFlightWaitMs: 0 });
    const idempotencyMetrics = createIdempotencyMetrics(metrics.registry);
    const engine = createIdempotencyEngine({
      db: db.pool,
      registry,
      counter: idempotencyMetrics.requests,
      retentionS: 86_400,
      leaseS: 30,
      waitMs: 100,
      errors: {
        report: (component, _error, detail) => {
          reported.push(component);
          details.push(detail);
        },
      },
      coalesce,
      batches: idempotencyMetrics.batches,
    });
    let entered = 0;
    let prepared = 0;
    // a prepare that fails once a first request with the same key completed meanwhile (a partner down on the retry)
    let flakyPrepares = 0;
    app.post<{ Body: Body }>('/flaky', { config: { idempotency: true } }, (request, reply) =>
      engine.insertOnce(request, reply, async () => {
        flakyPrepares++;
        const { id, label } = request.body;
        if (flakyPrepares === 1) {
          // the same request again completes while this one prepares, then this one's partner fails
          const twin = await app.inject({
            method: 'POST',
            url: '/flaky',
            headers: { 'idempotency-key': request.headers['idempotency-key'] as string },
            payload: request.body,
          });
          assert.equal(twin.statusCode, 201);
          throw new Error('the partner is down');
        }
        return {
          result: { status: 201, body: { id, label, attempt: flakyPrepares } },
          row: {
            name: 'labels.flaky',
            table: 'labels',
            columns: LABEL_COLUMNS,
            values: [id, label, '{}', 1, '2026-12-01T10:00:00Z', false],
          },
        };
      }),
    );
    // no idempotency on this route: the effect runs as a plain statement, no key is written
    app.post<{ Body: Body }>('/plain', (request, reply) =>
      engine.insertOnce(request, reply, {
        result: { status: 201, body: { id: request.body.id } },
        row: {
          name: 'labels.plain',
          table: 'labels',
          columns: LABEL_COLUMNS,
          values: [request.body.id, request.body.label, '{"plain":true}', 7, '2026-12-01T10:00:00Z', true],
        },
      }),
    );
    // neither a statement nor a row: a programming error, answered 500
    app.post('/nothing', { config: { idempotency: true } }, (request, reply) =>
      engine.insertOnce(request, reply, { result: { status: 201, body: {} } }),
    );
    // the function form: a stored answer is replayed before prepare runs (prepare stands for a partner call)
    app.post<{ Body: Body }>('/prepared', { config: { idempotency: true } }, (request, reply) =>
      engine.insertOnce(request, reply, async () => {
        prepared++;
        const { id, label } = request.body;
        return {
          result: { status: 201, body: { id, label, prepared } },
          row: {
            name: 'labels.prepared',
            table: 'labels',
            columns: LABEL_COLUMNS,
            values: [id, label, '{}', prepared, '2026-12-01T10:00:00Z', true],
          },
        };
      }),
    );
    app.post<{ Body: Body }>('/labels', { config: { idempotency: true } }, (request, reply) => {
      const { id, label, note } = request.body;
      entered++;
      return engine.insertOnce(request, reply, {
        result: { status: 201, body: { id, label }, headers: { Location: `/labels/${id}` } },
        row: {
          name: 'labels.insert',
          table: 'labels',
          columns: EVERY_LABEL_COLUMN,
          values: [
            id,
            label,
            JSON.stringify({ label, quote: 'say "hi" \\ bye' }),
            9_007_199_254_740_000,
            '2026-12-01T10:00:00.000Z',
            label.length % 2 === 0,
            Buffer.from([0, 255, 1, label.length]),
            note ?? null,
          ].slice(0, request.body.short ? 7 : 8), // short: one value missing (a caller's bug)
        },
      });
    });
    // what handlers threw (the 500s): a programming error names itself
    const thrown: string[] = [];
    app.addHook('onError', async (_request, _reply, error) => {
      thrown.push(error.message);
    });
    await app.ready();
    apps.push(app);
    const batches = async () => {
      const total = async (counter: typeof idempotencyMetrics.batches.rows) =>
        (await metricValues(counter)).reduce((n, v) => n + v.value, 0);
      return {
        count: await total(idempotencyMetrics.batches.statements),
        sum: await total(idempotencyMetrics.batches.rows),
      };
    };
    const outcomes = () => metricByLabel(idempotencyMetrics.requests, 'outcome');
    /** batch statements and their rows, by the row effect's name */
    const batchesByStatement = async () => ({
      statements: await metricByLabel(idempotencyMetrics.batches.statements, 'statement'),
      rows: await metricByLabel(idempotencyMetrics.batches.rows, 'statement'),
    });
    return {
      app,
      reported,
      details,
      batches,
      batchesByStatement,
      outcomes,
      thrown,
      entered: () => entered,
      prepared: () => prepared,
      flakyPrepares: () => flakyPrepares,
    };
  }

  const post = (app: FastifyInstance, key: string, body: Body) =>
    app.inject({ method: 'POST', url: '/labels', headers: { 'idempotency-key': key }, payload: body });

  /** a first request whose row waits on a row lock the test holds: the only slot stays busy */
  async function block(app: FastifyInstance) {
    const lock = await holdRowLock(
      db.pool,
      `INSERT INTO labels (id, label, doc, amount, at, flag) VALUES ('blocker', 'x', '{}', 0, now(), true)`,
    );
    held = lock;
    const blocked = post(app, 'k-blocker', { id: 'blocker', label: 'blocker' });
    await lock.waiters(1);
    return { blocked, release: lock.release };
  }

  return { pool: () => db.pool, instance, post, block };
}
