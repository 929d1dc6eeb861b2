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

const cols = (...pairs: [string, string][]): [string, string][] => pairs;

/** an app with one route per shape (`POST /:shape/:id`), and what its handlers threw */
async function appWith(shapes: Record<string, (id: string) => RowEffect>) {
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
  return { app, post, thrown };
}

const refused = (name: string) => `insertOnce: row effect ${name} was used with another shape`;

test('the same row-effect name with another table or columns fails that request; the first shape keeps working', async (t) => {
  const { app, post, thrown } = await appWith({
    a: (id) => ({
      name: 'shared.insert',
      table: 'a',
      columns: cols(['id', 'text'], ['x', 'text']),
      values: [id, 'x'],
    }),
    // a fresh columns array each time, same shape: accepted
    a2: (id) => ({
      name: 'shared.insert',
      table: 'a',
      columns: cols(['id', 'text'], ['x', 'text']),
      values: [id, 'again'],
    }),
    b: (id) => ({
      name: 'shared.insert',
      table: 'b',
      columns: cols(['id', 'text'], ['y', 'integer']),
      values: [id, 1],
    }),
  });
  t.after(() => app.close());
  assert.equal((await post('/a/1')).statusCode, 201);
  assert.equal((await post('/a2/2')).statusCode, 201);
  const other = await post('/b/3');
  assert.equal(other.statusCode, 500);
  assert.equal(other.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.deepEqual(thrown, [refused('shared.insert')]);
  assert.equal((await post('/a/4')).statusCode, 201);
  assert.deepEqual(
    (await db.pool.query(`SELECT id, x FROM a WHERE id IN ('1', '2', '4') ORDER BY id`)).rows,
    [
      { id: '1', x: 'x' },
      { id: '2', x: 'again' },
      { id: '4', x: 'x' },
    ],
  );
  assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM b WHERE id = '3'`)).rows[0].n, 0);
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
});

test('a shape is the table and every column name and type: the same array with another table, or the same table with other columns, is refused', async (t) => {
  const constant = cols(['id', 'text'], ['x', 'text']);
  const { app, post, thrown } = await appWith({
    // one columns array, as a module constant would be
    same: (id) => ({ name: 'kept.insert', table: 'a', columns: constant, values: [id, 'kept'] }),
    otherTable: (id) => ({ name: 'kept.insert', table: 'b', columns: constant, values: [id, 'kept'] }),
    // same table and column names, another type: the statement would cast to the wrong type
    otherType: (id) => ({
      name: 'kept.insert',
      table: 'a',
      columns: cols(['id', 'text'], ['x', 'integer']),
      values: [id, 5],
    }),
    // a name and type that read the same run together ("x_big int" / "x_ bigint"): still two shapes
    split1: (id) => ({
      name: 'split.insert',
      table: 'a',
      columns: cols(['id', 'text'], ['x_big', 'int']),
      values: [id, 1],
    }),
    split2: (id) => ({
      name: 'split.insert',
      table: 'a',
      columns: cols(['id', 'text'], ['x_', 'bigint']),
      values: [id, 1],
    }),
    // columns that read the same run together ("x int" + "eger_x text" / "x integer" + "_x text")
    join1: (id) => ({
      name: 'join.insert',
      table: 'a',
      columns: cols(['id', 'text'], ['x', 'int'], ['eger_x', 'text']),
      values: [id, 1, 'v'],
    }),
    join2: (id) => ({
      name: 'join.insert',
      table: 'a',
      columns: cols(['id', 'text'], ['x', 'integer'], ['_x', 'text']),
      values: [id, 1, 'v'],
    }),
  });
  t.after(() => app.close());
  assert.equal((await post('/same/k1')).statusCode, 201);
  assert.equal((await post('/otherTable/k2')).statusCode, 500);
  assert.equal((await post('/otherType/k3')).statusCode, 500);
  assert.equal((await post('/same/k4')).statusCode, 201);
  assert.deepEqual(thrown, [refused('kept.insert'), refused('kept.insert')]);
  // the first use of split.insert reaches Postgres (table a has no column x_big); the second is refused before
  assert.equal((await post('/split1/k5')).statusCode, 500);
  assert.equal((await post('/split2/k6')).statusCode, 500);
  assert.deepEqual(thrown.slice(2), [
    'column "x_big" of relation "a" does not exist',
    refused('split.insert'),
  ]);
  assert.equal((await post('/join1/k7')).statusCode, 500);
  assert.equal((await post('/join2/k8')).statusCode, 500);
  assert.deepEqual(thrown.slice(4), [
    'column "eger_x" of relation "a" does not exist',
    refused('join.insert'),
  ]);
  assert.deepEqual((await db.pool.query(`SELECT id, x FROM a WHERE id LIKE 'k%' ORDER BY id`)).rows, [
    { id: 'k1', x: 'kept' },
    { id: 'k4', x: 'kept' },
  ]);
  assert.equal((await db.pool.query(`SELECT count(*)::int AS n FROM b`)).rows[0].n, 0);
});
