/** @steadfast/toolkit/postgres in a bare Fastify app: your own migrations beside the blocks', transactions, clean-up. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertMigrated,
  createPool,
  defineMigrations,
  deleteInBatches,
  isDatabaseUnavailable,
  migrate,
  type Pool,
  withTransaction,
} from '@steadfast/toolkit/postgres';
import { createTestDatabase, type TestDatabase } from '@steadfast/toolkit/testing';
import Fastify, { type FastifyInstance } from 'fastify';

let db: TestDatabase;
let app: FastifyInstance;

// docs:start migrations
const invoiceMigrations = defineMigrations('billing', [
  {
    name: '0001_invoices',
    sql: `CREATE TABLE invoices (id text PRIMARY KEY, total bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
          CREATE TABLE invoice_lines (invoice_id text NOT NULL REFERENCES invoices (id), amount bigint NOT NULL);`,
  },
]);

async function start(pool: Pool): Promise<FastifyInstance> {
  // every process may run this at start: an advisory lock makes the second wait, then find nothing to do
  await migrate(pool, [...invoiceMigrations]);
  const server = Fastify();
  server.post<{ Body: { id: string; lines: number[] } }>('/invoices', async (request, reply) => {
    const { id, lines } = request.body;
    // all or nothing: the invoice and its lines commit together
    await withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO invoices (id, total) VALUES ($1, $2)', [
        id,
        lines.reduce((a, b) => a + b, 0),
      ]);
      for (const amount of lines)
        await tx.query('INSERT INTO invoice_lines (invoice_id, amount) VALUES ($1, $2)', [id, amount]);
    });
    return reply.code(201).send({ id });
  });
  return server;
}
// docs:end migrations

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  app = await start(db.pool);
});
after(async () => {
  await app.close();
  await db.close();
});

describe('postgres', () => {
  test('migrations are applied once, namespaced, and recorded', async () => {
    assert.deepEqual(await migrate(db.pool, invoiceMigrations), []);
    const { rows } = await db.pool.query('SELECT id FROM steadfast_schema_migrations');
    assert.deepEqual(
      rows.map((r) => r.id),
      ['billing/0001_invoices'],
    );
    await assertMigrated(db.pool, invoiceMigrations, 'invoiceMigrations');
  });

  test('a transaction commits whole, or not at all', async () => {
    const ok = await app.inject({
      method: 'POST',
      url: '/invoices',
      payload: { id: 'inv_1', lines: [100, 250] },
    });
    assert.equal(ok.statusCode, 201);
    // the second line breaks the NOT NULL: the invoice and its first line roll back with it
    const bad = await app.inject({
      method: 'POST',
      url: '/invoices',
      payload: { id: 'inv_2', lines: [100, null] },
    });
    assert.equal(bad.statusCode, 500);
    const { rows } = await db.pool.query('SELECT id, total FROM invoices ORDER BY id');
    assert.deepEqual(rows, [{ id: 'inv_1', total: '350' }]);
    const lines = await db.pool.query(
      `SELECT count(*)::int AS n FROM invoice_lines WHERE invoice_id = 'inv_2'`,
    );
    assert.equal(lines.rows[0].n, 0);
  });

  test('deleteInBatches removes old rows in small batches and leaves the rest', async () => {
    await db.pool.query(
      `INSERT INTO invoices (id, total, created_at)
       SELECT 'old_' || i, 1, now() - interval '40 days' FROM generate_series(1, 25) AS i`,
    );
    // docs:start cleanup
    const deleted = await deleteInBatches(db.pool, {
      table: 'invoices',
      where: `created_at < now() - make_interval(days => $1) AND id NOT IN (SELECT invoice_id FROM invoice_lines)`,
      params: [30],
      batchSize: 10,
    });
    // docs:end cleanup
    assert.equal(deleted, 25);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM invoices');
    assert.equal(rows[0].n, 1);
    await assert.rejects(
      deleteInBatches(db.pool, { table: 'invoices; DROP TABLE x', where: 'true' }),
      /identifier/,
    );
  });

  test('a forgotten migration is one clear error at start', async () => {
    const empty = await createTestDatabase({ template: 'template0' });
    try {
      await assert.rejects(
        assertMigrated(empty.pool, invoiceMigrations, 'invoiceMigrations'),
        /missing migration billing\/0001_invoices: apply it at start with migrate\(pool, \[\.\.\.invoiceMigrations\]\)/,
      );
    } finally {
      await empty.close();
    }
  });

  test('an unreachable database is recognised as retryable, not as a bug', async () => {
    const nowhere = createPool({
      connectionString: 'postgres://nobody:x@127.0.0.1:1/none',
      onError: () => {},
    });
    try {
      const error = await nowhere.query('SELECT 1').catch((e: unknown) => e);
      assert.equal(isDatabaseUnavailable(error), true);
      assert.equal(isDatabaseUnavailable(new Error('syntax error')), false);
    } finally {
      await nowhere.end();
    }
  });
});
