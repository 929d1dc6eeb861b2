/** A row effect's name owns its statement: the same name with another shape is refused, never written through the first shape's SQL. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  createIdempotencyEngine,
  createIdempotencyMetrics,
  idempotency,
  idempotencyMigrations,
  idempotencyProblems,
  type RowEffect,
} from '@steadfast/toolkit/idempotency';
import { createHttpMetrics } from '@steadfast/toolkit/observability';
import { migrate } from '@steadfast/toolkit/postgres';
import { coreProblems, createProblemRegistry, problems } from '@steadfast/toolkit/problems';
import { createTestDatabase, type TestDatabase } from '@steadfast/toolkit/testing';
import Fastify from 'fastify';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await db.pool.query('CREATE TABLE a (id text PRIMARY KEY, x text)');
  await db.pool.query('CREATE TABLE b (id text PRIMARY KEY, y integer)');
  await migrate(db.pool, [...idempotencyMigrations]);
});
after(() => db?.close());

test('the same row-effect name with another table or columns fails that request; the first shape keeps working', async () => {
  const registry = createProblemRegistry(coreProblems, idempotencyProblems);
  const app = Fastify();
  await app.register(problems, { registry });
  await app.register(idempotency, { db: db.pool, tenantOf: () => 't' });
  const engine = createIdempotencyEngine({
    db: db.pool,
    registry,
    counter: createIdempotencyMetrics(createHttpMetrics().registry).requests,
    retentionS: 60,
    leaseS: 30,
    errors: { report: () => {} },
  });
  const shapes: Record<string, (id: string) => RowEffect> = {
    a: (id) => ({
      name: 'shared.insert',
      table: 'a',
      columns: [
        ['id', 'text'],
        ['x', 'text'],
      ],
      values: [id, 'x'],
    }),
    // a fresh columns array each time, same shape: accepted
    a2: (id) => ({
      name: 'shared.insert',
      table: 'a',
      columns: [
        ['id', 'text'],
        ['x', 'text'],
      ],
      values: [id, 'again'],
    }),
    b: (id) => ({
      name: 'shared.insert',
      table: 'b',
      columns: [
        ['id', 'text'],
        ['y', 'integer'],
      ],
      values: [id, 1],
    }),
  };
  app.post<{ Params: { shape: string; id: string } }>(
    '/:shape/:id',
    { config: { idempotency: true } },
    (request, reply) =>
      engine.insertOnce(request, reply, {
        result: { status: 201, body: { id: request.params.id } },
        row: shapes[request.params.shape](request.params.id),
      }),
  );
  // what the handler threw: the guard's own error, not Postgres refusing a reused statement name
  // (that second line of defence is gone behind a pooler, where statement names are dropped)
  const thrown: string[] = [];
  app.addHook('onError', async (_request, _reply, error) => {
    thrown.push(error.message);
  });
  await app.ready();
  const post = (path: string) =>
    app.inject({ method: 'POST', url: path, headers: { 'idempotency-key': path } });
  assert.equal((await post('/a/1')).statusCode, 201);
  assert.equal((await post('/a2/2')).statusCode, 201);
  const other = await post('/b/3');
  assert.equal(other.statusCode, 500);
  assert.equal(other.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.deepEqual(thrown, ['insertOnce: row effect shared.insert was used with another shape']);
  assert.equal((await post('/a/4')).statusCode, 201);
  assert.deepEqual((await db.pool.query('SELECT id, x FROM a ORDER BY id')).rows, [
    { id: '1', x: 'x' },
    { id: '2', x: 'again' },
    { id: '4', x: 'x' },
  ]);
  assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM b')).rows[0].n, 0);
  const { rows } = await db.pool.query(`SELECT key FROM idempotency_keys WHERE key = '/b/3'`);
  assert.deepEqual(rows, [], 'the refused request left no key: a retry runs again');
  // this engine has no batch metrics: concurrent creates still leave in batches, uncounted, and no
  // reporting hook fails (a failing one would be a process warning)
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.message);
  process.on('warning', onWarning);
  const many = await Promise.all(Array.from({ length: 8 }, (_, i) => post(`/a/m${i}`))).finally(() =>
    process.off('warning', onWarning),
  );
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    many.map((r) => r.statusCode),
    Array(8).fill(201),
  );
  assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM a WHERE id LIKE 'm%'`)).rows[0].n, 8);
  await app.close();
});
