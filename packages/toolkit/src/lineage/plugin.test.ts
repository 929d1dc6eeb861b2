/** The plugin on a bare Fastify app with the idempotency block: outcome detection and the route template form. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  createIdempotencyEngine,
  idempotency,
  idempotencyMigrations,
  idempotencyProblems,
} from '../idempotency/index.ts';
import { createBackgroundErrors, createLogger } from '../observability/index.ts';
import { ALL_TENANTS, migrate } from '../postgres/index.ts';
import { coreProblems, createProblemRegistry, problems } from '../problems/index.ts';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { lineageMigrations } from './migrations.ts';
import { addLineageRefs, lineagePlugin, openApiRoute } from './plugin.ts';
import { findLineage } from './query.ts';
import { createLineageRecorder, type LineageRecorder } from './recorder.ts';

let db: TestDatabase;
let app: FastifyInstance;
let recorder: LineageRecorder;

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...lineageMigrations, ...idempotencyMigrations]);
  await db.pool.query('CREATE TABLE notes (id bigserial PRIMARY KEY, text text NOT NULL)');
  const log = createLogger({ level: 'silent' });
  const errors = createBackgroundErrors({ log });
  recorder = createLineageRecorder({ db: db.pool, log, errors });
  const registry = createProblemRegistry(coreProblems, idempotencyProblems);
  app = Fastify();
  await app.register(problems, { registry });
  await app.register(idempotency, { db: db.pool, tenantOf: () => 'default' });
  await app.register(lineagePlugin, {
    recorder,
    tenantOf: () => 'default',
    include: (request) => !request.url.startsWith('/skip'),
  });
  const engine = createIdempotencyEngine({
    db: db.pool,
    registry,
    counter: { inc: () => {} } as never,
    retentionS: 3600,
    leaseS: 30,
    errors,
  });
  app.post<{ Body: { text: string } }>('/notes', { config: { idempotency: true } }, (request, reply) =>
    engine.run(request, reply, async (tx) => {
      const { rows } = await tx.query('INSERT INTO notes (text) VALUES ($1) RETURNING id', [
        request.body.text,
      ]);
      addLineageRefs(request, `note_${rows[0].id}`);
      return { status: 201, body: { id: rows[0].id } };
    }),
  );
  app.get('/notes/:id/versions/:version', async () => ({}));
  app.get('/skip', async () => ({}));
  await app.ready();
});
after(async () => {
  await app?.close();
  await db?.close();
});

const post = (key: string | undefined, text: string) =>
  app.inject({
    method: 'POST',
    url: '/notes',
    headers: key ? { 'idempotency-key': key } : {},
    payload: { text },
  });

async function lineageOf(key: string) {
  await recorder.flush();
  const { requests } = await findLineage(db.pool, {
    idempotencyKeys: [key],
    tenantId: ALL_TENANTS,
    limit: 10,
  });
  return requests.map((r) => [r.status, r.idempotencyOutcome]).reverse();
}

describe('lineage plugin', () => {
  test('executed, replayed and conflict (reused key) are told apart', async () => {
    assert.equal((await post('k-1', 'a')).statusCode, 201);
    assert.equal((await post('k-1', 'a')).headers['idempotent-replayed'], 'true');
    assert.equal((await post('k-1', 'b')).statusCode, 422);
    assert.deepEqual(await lineageOf('k-1'), [
      [201, 'executed'],
      [201, 'replayed'],
      [422, 'conflict'],
    ]);
  });

  test('a key in flight elsewhere is a conflict (409)', async () => {
    // another process holds the key: its claim is in the table
    assert.equal((await post('k-2', 'c')).statusCode, 201);
    await db.pool.query(
      `UPDATE idempotency_keys SET state = 'in_flight', owner = 'elsewhere', lease_expires_at = now() + interval '1 minute'
       WHERE key = 'k-2'`,
    );
    const busy = await post('k-2', 'c');
    assert.equal(busy.statusCode, 409);
    assert.deepEqual((await lineageOf('k-2'))[1], [409, 'conflict']);
  });

  test('no key: no outcome; refs are stored; the route is in OpenAPI form; excluded routes are not recorded', async () => {
    const missing = await post(undefined, 'd');
    assert.equal(missing.statusCode, 400);
    await app.inject({ method: 'GET', url: '/notes/7/versions/2' });
    await app.inject({ method: 'GET', url: '/skip' });
    await app.inject({ method: 'GET', url: '/nowhere' });
    await recorder.flush();
    const { rows } = await db.pool.query(
      `SELECT method, route, status, idempotency_outcome, refs FROM lineage_requests
       WHERE idempotency_key IS NULL ORDER BY id`,
    );
    assert.deepEqual(rows, [
      { method: 'POST', route: '/notes', status: 400, idempotency_outcome: null, refs: [] },
      {
        method: 'GET',
        route: '/notes/{id}/versions/{version}',
        status: 200,
        idempotency_outcome: null,
        refs: [],
      },
    ]);
    const executed = await db.pool.query(
      `SELECT refs FROM lineage_requests WHERE idempotency_key = 'k-1' ORDER BY id LIMIT 1`,
    );
    assert.match(executed.rows[0].refs[0], /^note_\d+$/);
  });

  test('openApiRoute converts Fastify parameters, constraints included', () => {
    assert.equal(openApiRoute('/a/:id/b/:name(^\\d+)'), '/a/{id}/b/{name}');
    assert.equal(openApiRoute('/plain'), '/plain');
  });
});
