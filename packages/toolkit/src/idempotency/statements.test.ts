/**
 * Every statement the idempotency engine sends on the hot path is a named
 * (prepared) statement: Postgres parses and plans it once per connection, not
 * once per request. On a one-connection pool, `pg_prepared_statements` shows
 * what that connection prepared, by name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { createHttpMetrics } from '../observability/index.ts';
import { createPool, migrate, type Pool } from '../postgres/index.ts';
import { coreProblems, createProblemRegistry, problems } from '../problems/index.ts';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import {
  createIdempotencyEngine,
  createIdempotencyMetrics,
  idempotency,
  idempotencyMigrations,
  idempotencyProblems,
  type RowEffect,
} from './index.ts';

describe('the statements insertOnce prepares', () => {
  let db: TestDatabase;
  let one: Pool;
  before(async () => {
    db = await createTestDatabase({ template: 'template0' });
    await db.pool.query('CREATE TABLE notes (id text PRIMARY KEY, body text NOT NULL)');
    await migrate(db.pool, [...idempotencyMigrations]);
    one = createPool({ connectionString: db.url, max: 1 });
  });
  after(async () => {
    await one?.end();
    await db?.close();
  });

  const reported: string[] = [];
  async function app(coalesce: false | undefined) {
    const registry = createProblemRegistry(coreProblems, idempotencyProblems);
    const server = Fastify();
    await server.register(problems, { registry });
    await server.register(idempotency, { db: one, tenantOf: () => 't', inFlightWaitMs: 0 });
    const engine = createIdempotencyEngine({
      db: one,
      registry,
      counter: createIdempotencyMetrics(createHttpMetrics().registry).requests,
      retentionS: 60,
      leaseS: 30,
      errors: { report: (component) => reported.push(component) },
      coalesce,
    });
    const row = (id: string): RowEffect => ({
      name: 'notes.insert',
      table: 'notes',
      columns: [
        ['id', 'text'],
        ['body', 'text'],
      ],
      values: [id, `note ${id}`],
    });
    server.post<{ Params: { id: string } }>(
      '/notes/:id',
      { config: { idempotency: true } },
      (request, reply) =>
        engine.insertOnce(request, reply, {
          result: { status: 201, body: { id: request.params.id } },
          row: row(request.params.id),
        }),
    );
    // a table name that is not an identifier (spliced into statement text, so it must never get there)
    server.post<{ Params: { id: string } }>('/bad/:id', { config: { idempotency: true } }, (request, reply) =>
      engine.insertOnce(request, reply, {
        result: { status: 201, body: {} },
        row: { ...row(request.params.id), name: 'notes.bad', table: 'notes; DROP TABLE notes' },
      }),
    );
    server.post<{ Params: { id: string } }>('/plain/:id', (request, reply) =>
      engine.insertOnce(request, reply, { result: { status: 201, body: {} }, row: row(request.params.id) }),
    );
    await server.ready();
    return server;
  }

  const prepared = async () =>
    (await one.query<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name')).rows.map(
      (r) => r.name,
    );

  test('alone, batched, replayed and without a key: each statement under its own stable name', async (t) => {
    const uncoalesced = await app(false);
    t.after(() => uncoalesced.close());
    const post = (server: typeof uncoalesced, url: string, key?: string) =>
      server.inject({ method: 'POST', url, headers: key ? { 'idempotency-key': key } : {} });
    assert.equal((await post(uncoalesced, '/notes/1', 'k-1')).statusCode, 201);
    assert.equal((await post(uncoalesced, '/notes/1', 'k-1')).headers['idempotent-replayed'], 'true');
    assert.equal((await post(uncoalesced, '/plain/2')).statusCode, 201);
    assert.deepEqual(await prepared(), ['idempotency.find', 'notes.insert.idempotent', 'notes.insert.plain']);

    const coalesced = await app(undefined);
    t.after(() => coalesced.close());
    // one connection: while the first statement holds it, the next requests queue and leave together
    const many = await Promise.all(
      Array.from({ length: 6 }, (_, i) => post(coalesced, `/notes/b${i}`, `k-b${i}`)),
    );
    assert.deepEqual(
      many.map((r) => r.statusCode),
      Array(6).fill(201),
    );
    const replays = await Promise.all(
      Array.from({ length: 6 }, (_, i) => post(coalesced, `/notes/b${i}`, `k-b${i}`)),
    );
    assert.deepEqual(
      replays.map((r) => r.headers['idempotent-replayed']),
      Array(6).fill('true'),
    );
    assert.deepEqual(await prepared(), [
      'idempotency.find',
      'idempotency.find-many',
      'notes.insert.batch',
      'notes.insert.idempotent',
      'notes.insert.plain',
    ]);
  });

  test('a row whose table name is not an identifier sends no statement, alone or in a batch', async (t) => {
    const server = await app(undefined);
    t.after(() => server.close());
    reported.length = 0;
    const before = await prepared();
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        server.inject({ method: 'POST', url: `/bad/x${i}`, headers: { 'idempotency-key': `k-x${i}` } }),
      ),
    );
    assert.deepEqual(
      answers.map((r) => r.statusCode),
      Array(6).fill(500),
    );
    assert.deepEqual(reported, [], 'no batch statement was sent and failed');
    assert.deepEqual(await prepared(), before);
    assert.equal((await one.query(`SELECT count(*)::int AS n FROM notes WHERE id LIKE 'x%'`)).rows[0].n, 0);
    const { rows } = await one.query(`SELECT key FROM idempotency_keys WHERE key LIKE 'k-x%'`);
    assert.deepEqual(rows, []);
  });
});
