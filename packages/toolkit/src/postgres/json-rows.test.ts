/** Rows sent as one JSON parameter land exactly as the same values sent as parameters, one row at a time. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { isSqlType, type JsonRowColumn, jsonRowsParam, jsonRowsSource } from './json-rows.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
});
after(() => db?.close());

const COLUMNS: JsonRowColumn[] = [
  ['a_text', 'text'],
  ['a_int', 'integer'],
  ['a_big', 'bigint'],
  ['a_float', 'float8'],
  ['a_bool', 'boolean'],
  ['a_json', 'jsonb'],
  ['a_at', 'timestamptz'],
  ['a_local', 'timestamp'],
  ['a_bytes', 'bytea'],
  ['a_list', 'text[]'],
];

const ROWS: unknown[][] = [
  [
    'say "hi" \\ bye, ünïcødé 🚀',
    1,
    '9007199254740993',
    1.5,
    true,
    '{"k":[1,2]}',
    new Date('2026-12-01T10:00:00.123Z'),
    new Date('2026-12-01T10:00:00Z'),
    Buffer.from([0, 255, 10]),
    ['a', 'b "c"'],
  ],
  [
    null,
    -2147483648,
    9007199254740000n,
    Number.NaN,
    false,
    { nested: { x: null } },
    '2026-12-01T10:00:00+02:00',
    '2026-12-01 08:00:00',
    Buffer.alloc(0),
    [],
  ],
  ['', 0, null, Number.POSITIVE_INFINITY, null, 'null', null, null, null, null],
];

test('every value written through a JSON batch equals the value written as a parameter', async () => {
  const definition = COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ');
  await db.pool.query(`CREATE TABLE alone (n integer, ${definition})`);
  await db.pool.query(`CREATE TABLE batched (n integer, ${definition})`);
  const names = COLUMNS.map(([name]) => name).join(', ');
  for (const [i, row] of ROWS.entries()) {
    const params = row.map((_, j) => `$${j + 2}`).join(', ');
    await db.pool.query(`INSERT INTO alone (n, ${names}) VALUES ($1, ${params})`, [i + 1, ...row]);
  }
  await db.pool.query(
    `INSERT INTO batched (n, ${names}) SELECT n, ${names} FROM (${jsonRowsSource(COLUMNS)}) rows`,
    [jsonRowsParam(ROWS)],
  );
  const read = async (table: string) =>
    (
      await db.pool.query(
        `SELECT n, ${COLUMNS.map(([name]) => `${name}::text`).join(', ')} FROM ${table} ORDER BY n`,
      )
    ).rows;
  const alone = await read('alone');
  assert.equal(alone.length, 3);
  assert.deepEqual(await read('batched'), alone);
  // and a few literal checks, so the comparison is not of two equally wrong things
  assert.equal(alone[0].a_big, '9007199254740993');
  assert.equal(alone[0].a_bytes, '\\x00ff0a');
  assert.equal(alone[1].a_float, 'NaN');
  assert.equal(alone[0].a_list, '{a,"b \\"c\\""}');
});

test('a column name or type that is not plain SQL is refused, and the error names it', () => {
  assert.throws(
    () => jsonRowsSource([['x; DROP TABLE t', 'text']]),
    (error: Error) => error.message === 'json rows: bad column ["x; DROP TABLE t","text"]',
  );
  assert.throws(() => jsonRowsSource([['x', 'text) --']]), /bad column/);
  // the whole type must be plain: a harmless-looking tail does not let the rest in
  assert.equal(isSqlType('x); DROP TABLE t; --text'), false);
  assert.equal(isSqlType('numeric(10'), false);
  assert.equal(isSqlType('numeric(a,b)'), false);
});

test('types with a size or precision pass', () => {
  assert.equal(isSqlType('varchar(255)'), true);
  assert.equal(isSqlType('numeric(12,10)'), true);
  assert.equal(isSqlType('numeric(10,2)[]'), true);
  assert.equal(isSqlType('double precision'), true);
});

test('the statement text: text columns are read as they are, the others cast', () => {
  assert.equal(
    jsonRowsSource(
      [
        ['a', 'text'],
        ['b', 'integer'],
      ],
      2,
    ),
    'SELECT r.n::integer AS n, r.row->>0 AS a, (r.row->>1)::integer AS b FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS r(row, n)',
  );
});
