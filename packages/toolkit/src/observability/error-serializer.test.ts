/** The logger never writes the request values a Postgres error carries (real errors from real queries). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '@steadfast/toolkit/observability';
import { createLogCapture, createTestDatabase, type TestDatabase } from '@steadfast/toolkit/testing';

const MARKER = 'MARKER-4f1c-customer@example.com';
let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await db.pool.query(`CREATE TABLE people (email text PRIMARY KEY, age integer NOT NULL CHECK (age >= 0))
    ; INSERT INTO people VALUES ('${MARKER}', 1)`);
  await db.pool.query(`CREATE FUNCTION shout(v text) RETURNS void LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'bad value %', v; END $$`);
});
after(() => db?.close());

async function pgError(sql: string, values: unknown[]): Promise<Error> {
  try {
    await db.pool.query(sql, values);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`no error from ${sql}`);
}

describe('err serializer', () => {
  const cases: {
    name: string;
    sql: string;
    values: unknown[];
    code: string;
    fields: Record<string, string>;
  }[] = [
    {
      name: 'a unique violation (detail: Key (email)=(…))',
      sql: 'INSERT INTO people VALUES ($1, 2)',
      values: [MARKER],
      code: '23505',
      fields: { constraint: 'people_pkey', table: 'people' },
    },
    {
      name: 'a data exception (class 22) with the value in its message',
      sql: 'SELECT $1::integer',
      values: [MARKER],
      code: '22P02',
      fields: {},
    },
    {
      name: 'a not-null violation (detail: the failing row)',
      sql: 'INSERT INTO people VALUES ($1, NULL)',
      values: [`${MARKER}-2`],
      code: '23502',
      fields: { column: 'age', table: 'people' },
    },
    {
      name: 'a check violation',
      sql: 'INSERT INTO people VALUES ($1, -1)',
      values: [`${MARKER}-3`],
      code: '23514',
      fields: { constraint: 'people_age_check' },
    },
    {
      name: 'an exception raised by a function (where: PL/pgSQL …)',
      sql: 'SELECT shout($1)',
      values: [MARKER],
      code: 'P0001',
      fields: {},
    },
  ];
  for (const c of cases) {
    test(`${c.name}: logged with code and names, never the value`, async () => {
      const error = await pgError(c.sql, c.values);
      assert.ok(
        JSON.stringify({ ...error, message: error.message }).includes(MARKER),
        'the raw error has the marker',
      );
      const logs = createLogCapture();
      const log = createLogger({ destination: logs.stream });
      log.error({ err: error }, 'query failed');
      log.error({ err: new Error('saving failed', { cause: error }) }, 'wrapped');
      log.error({ err: new Error(`saving failed: ${error.message}`, { cause: error }) }, 'quoted');
      assert.doesNotMatch(logs.text(), new RegExp(MARKER));
      const [direct, wrapped] = logs.lines() as { err: Record<string, unknown> }[];
      assert.equal(direct.err.code, c.code);
      assert.equal(direct.err.type, 'DatabaseError');
      assert.ok(typeof direct.err.severity === 'string');
      for (const [field, value] of Object.entries(c.fields)) assert.equal(direct.err[field], value, field);
      for (const hidden of ['detail', 'where', 'hint', 'internalQuery', 'position'])
        assert.equal(direct.err[hidden], undefined, hidden);
      assert.match(String(wrapped.err.message), /^saving failed: /);
      assert.match(String(wrapped.err.stack), /caused by: DatabaseError/);
    });
  }

  test('other errors are serialized as before', () => {
    const logs = createLogCapture();
    createLogger({ destination: logs.stream }).error({ err: new TypeError(`plain ${MARKER}`) }, 'x');
    const [line] = logs.lines() as { err: Record<string, unknown> }[];
    assert.equal(line.err.type, 'TypeError');
    assert.equal(line.err.message, `plain ${MARKER}`);
  });
});
