/** Usage of @steadfast/toolkit/idempotency on a bare Fastify app: replays, key misuse, a forgotten migration. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createIdempotencyEngine,
  createIdempotencyMetrics,
  IDEMPOTENCY_KEY_HEADER,
  idempotency,
  idempotencyMigrations,
  idempotencyProblems,
  reapExpiredKeys,
} from '@steadfast/toolkit/idempotency';
import {
  createBackgroundErrors,
  createHttpMetrics,
  createLogger,
  type HttpMetrics,
} from '@steadfast/toolkit/observability';
import { migrate, type Pool } from '@steadfast/toolkit/postgres';
import { coreProblems, createProblemRegistry, ProblemError, problems } from '@steadfast/toolkit/problems';
import { createTestDatabase, type TestDatabase } from '@steadfast/toolkit/testing';
import Fastify, { type FastifyInstance } from 'fastify';

// docs:start app
async function buildApp(pool: Pool, metrics: HttpMetrics): Promise<FastifyInstance> {
  const registry = createProblemRegistry(coreProblems, idempotencyProblems);
  const app = Fastify();
  await app.register(problems, { registry });
  // after your authentication: keys are scoped by tenant + method + route + key
  await app.register(idempotency, { db: pool, tenantOf: () => 'default' });
  const engine = createIdempotencyEngine({
    db: pool,
    registry,
    counter: createIdempotencyMetrics(metrics.registry).requests,
    retentionS: 86_400,
    leaseS: 30,
    errors: createBackgroundErrors({ log: createLogger(), registry: metrics.registry }),
  });

  app.post<{ Body: { text: string } }>(
    '/notes',
    {
      config: { idempotency: true },
      schema: {
        headers: { type: 'object', properties: IDEMPOTENCY_KEY_HEADER, required: ['idempotency-key'] },
        body: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      },
    },
    (request, reply) =>
      // the insert and the stored answer commit in one transaction
      engine.run(request, reply, async (tx) => {
        // a 4xx problem thrown here rolls back and is stored as the key's answer
        if (!request.body.text.trim())
          throw new ProblemError('validation-failed', { detail: 'text is blank' });
        const { rows } = await tx.query('INSERT INTO notes (text) VALUES ($1) RETURNING id, text', [
          request.body.text,
        ]);
        return { status: 201, body: rows[0], headers: { Location: `/notes/${rows[0].id}` } };
      }),
  );
  return app;
}
// docs:end app

let db: TestDatabase;
let app: FastifyInstance;
const metrics = createHttpMetrics();

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await db.pool.query('CREATE TABLE notes (id bigserial PRIMARY KEY, text text NOT NULL)'); // the app's own table
  // docs:start start
  await migrate(db.pool, [...idempotencyMigrations]); // at deploy or start, before serving
  app = await buildApp(db.pool, metrics);
  await app.ready(); // rejects, naming the migration, if it was not applied
  // docs:end start
});
after(async () => {
  await app?.close();
  await db?.close();
});

const post = (key: string | undefined, body: unknown) =>
  app.inject({
    method: 'POST',
    url: '/notes',
    headers: key === undefined ? {} : { 'idempotency-key': key },
    payload: body as Record<string, unknown>,
  });

const countNotes = async (text: string) =>
  (await db.pool.query('SELECT count(*)::int AS n FROM notes WHERE text = $1', [text])).rows[0].n;

describe('idempotency', () => {
  test('a retried POST replays the stored answer and the insert happens once', async () => {
    const first = await post('key-1', { text: 'buy milk' });
    assert.equal(first.statusCode, 201);
    assert.equal(first.headers['idempotent-replayed'], undefined);

    const retry = await post('key-1', { text: 'buy milk' });
    assert.equal(retry.statusCode, 201);
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    assert.equal(retry.headers.location, first.headers.location);
    assert.equal(retry.body, first.body);
    assert.equal(await countNotes('buy milk'), 1);
    assert.match(
      await metrics.registry.getSingleMetricAsString('steadfast_idempotency_requests_total'),
      /outcome="replayed"\} 1/,
    );
  });

  test('the same key with a different body is refused with 422; nothing runs', async () => {
    assert.equal((await post('key-2', { text: 'call mum' })).statusCode, 201);
    const reused = await post('key-2', { text: 'call dad' });
    assert.equal(reused.statusCode, 422);
    assert.match(String(reused.headers['content-type']), /^application\/problem\+json/);
    assert.equal(reused.json().type, '/problems/idempotency-key-reused');
    assert.equal(await countNotes('call dad'), 0);
  });

  test('a missing or malformed key is a 400 problem; nothing runs', async () => {
    const missing = await post(undefined, { text: 'no key' });
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().type, '/problems/idempotency-key-missing');
    assert.equal(missing.json().category, 'idempotency');
    const malformed = await post('has space', { text: 'no key' });
    assert.equal(malformed.statusCode, 400);
    assert.equal(malformed.json().type, '/problems/idempotency-key-invalid');
    assert.equal(await countNotes('no key'), 0);
  });

  test("a handler's 4xx problem is rolled back, stored and replayed", async () => {
    const refused = await post('key-3', { text: '  ' });
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().type, '/problems/validation-failed');
    const again = await post('key-3', { text: '  ' });
    assert.equal(again.statusCode, 400);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.body, refused.body);
    assert.equal(await countNotes('  '), 0);
  });

  test('expired keys are reaped; the key is then new', async () => {
    assert.equal((await post('key-4', { text: 'old' })).statusCode, 201);
    await db.pool.query(`UPDATE idempotency_keys SET expires_at = now() WHERE key = 'key-4'`);
    assert.equal(await reapExpiredKeys(db.pool), 1);
    const fresh = await post('key-4', { text: 'old' });
    assert.equal(fresh.headers['idempotent-replayed'], undefined);
    assert.equal(await countNotes('old'), 2);
  });

  test('forgot the migration: the app does not start, and says which one', async () => {
    const empty = await createTestDatabase({ template: 'template0' });
    const broken = await buildApp(empty.pool, createHttpMetrics());
    try {
      await assert.rejects(async () => broken.ready(), {
        name: 'MigrationError',
        message: /missing migration idempotency\/0001_idempotency_keys.*idempotencyMigrations/,
      });
    } finally {
      await broken.close();
      await empty.close();
    }
  });
});
