/** The coalesced paths' SQL helpers: a row shape's checks and their messages, one batch statement's answers, the lookup of many keys. */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { migrate, type Queryable } from '../postgres/index.ts';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { idempotencyMigrations } from './migrations.ts';
import type { KeyScope } from './store.ts';
import {
  batchText,
  checkRowShape,
  findKeys,
  insertKeyedRows,
  type KeyedRow,
  type RowEffect,
  rowEffectText,
} from './store-batch.ts';

const note = (id: string, overrides: Partial<RowEffect> = {}): RowEffect => ({
  name: 'notes.insert',
  table: 'notes',
  columns: [
    ['id', 'text'],
    ['body', 'text'],
  ],
  values: [id, `note ${id}`],
  ...overrides,
});

describe('checkRowShape and rowEffectText', () => {
  test('each refusal names the effect and what is wrong, as JSON', () => {
    const cases: [RowEffect, string][] = [
      [note('1', { table: 'Notes' }), 'row effect: bad table name "Notes"'],
      [
        note('1', { table: 'notes; DROP TABLE notes' }),
        'row effect: bad table name "notes; DROP TABLE notes"',
      ],
      [
        note('1', {
          columns: [
            ['id', 'text'],
            ['Body', 'text'],
          ],
        }),
        'row effect notes.insert: bad column ["Body","text"]',
      ],
      [
        note('1', {
          columns: [
            ['id', 'text'],
            ['body', 'text); --'],
          ],
        }),
        'row effect notes.insert: bad column ["body","text); --"]',
      ],
      [note('1', { values: ['1'] }), 'row effect notes.insert: 1 values for 2 columns'],
      [note('1', { values: ['1', 'b', 'c'] }), 'row effect notes.insert: 3 values for 2 columns'],
    ];
    for (const [row, message] of cases) {
      assert.throws(() => checkRowShape(row), { message }, message);
      assert.throws(() => rowEffectText(row), { message }, `rowEffectText: ${message}`);
    }
    assert.doesNotThrow(() =>
      checkRowShape(
        note('1', {
          columns: [
            ['id', 'text'],
            ['body', 'varchar(20)[]'],
          ],
        }),
      ),
    );
  });

  test('rowEffectText: the single-request statement, under the effect’s name', () => {
    assert.deepEqual(rowEffectText(note('7')), {
      name: 'notes.insert',
      text: 'INSERT INTO notes (id, body) SELECT $1::text, $2::text FROM claimed',
      values: ['7', 'note 7'],
    });
  });
});

describe('insertKeyedRows and findKeys', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ template: 'template0' });
    await db.pool.query('CREATE TABLE notes (id text PRIMARY KEY, body text NOT NULL)');
    await migrate(db.pool, [...idempotencyMigrations]);
  });
  after(() => db?.close());
  afterEach(() => db.pool.query('TRUNCATE notes, idempotency_keys'));

  const scope = (key: string): KeyScope => ({ tenantId: 't', method: 'POST', route: '/notes', key });
  const keyed = (key: string, row = note(key)): KeyedRow => ({
    scope: scope(key),
    fingerprint: Buffer.from([1, 2]),
    stored: { status: 201, headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') },
    retentionS: 60,
    row,
  });
  /** the pool, recording each statement's name */
  const recording = (names: (string | undefined)[]): Queryable =>
    ({
      query: (config: { name?: string; text: string; values?: unknown[] }) => {
        names.push(config.name);
        return db.pool.query(config);
      },
    }) as unknown as Queryable;
  const notes = async () =>
    (await db.pool.query<{ id: string }>('SELECT id FROM notes ORDER BY id')).rows.map((r) => r.id);

  test('per row in order: true when its key was new (its row written), false when the key existed', async () => {
    const names: (string | undefined)[] = [];
    const text = batchText(note('x'));
    assert.deepEqual(await insertKeyedRows(recording(names), text, [keyed('a'), keyed('b')]), [true, true]);
    assert.deepEqual(await insertKeyedRows(db.pool, text, [keyed('c'), keyed('a'), keyed('d')]), [
      true,
      false,
      true,
    ]);
    assert.deepEqual(await insertKeyedRows(db.pool, text, [keyed('a'), keyed('b')]), [false, false]);
    assert.deepEqual(await notes(), ['a', 'b', 'c', 'd']);
    assert.deepEqual(names, ['notes.insert.batch']);
  });

  test('two shapes in one batch, or a row with another number of values, are refused before any statement', async () => {
    const names: (string | undefined)[] = [];
    const text = batchText(note('x'));
    await assert.rejects(
      insertKeyedRows(recording(names), text, [keyed('a'), keyed('b', note('b', { name: 'notes.other' }))]),
      { message: 'insertKeyedRows: one effect shape per batch' },
    );
    await assert.rejects(
      insertKeyedRows(recording(names), text, [keyed('a'), keyed('b', note('b', { values: ['b'] }))]),
      { message: 'row effect notes.insert: 1 values for 2 columns' },
    );
    assert.deepEqual(names, []);
    assert.deepEqual(await notes(), []);
  });

  test('findKeys: per scope in order, its record or undefined, in one named statement', async () => {
    await insertKeyedRows(db.pool, batchText(note('x')), [keyed('a'), keyed('c')]);
    const names: (string | undefined)[] = [];
    const found = await findKeys(recording(names), [scope('c'), scope('b'), scope('a')]);
    assert.deepEqual(names, ['idempotency.find-many']);
    assert.deepEqual(
      found.map(
        (r) =>
          r && { state: r.state, status: r.response?.status, fingerprint: r.fingerprint.toString('hex') },
      ),
      [
        { state: 'completed', status: 201, fingerprint: '0102' },
        undefined,
        { state: 'completed', status: 201, fingerprint: '0102' },
      ],
    );
  });
});
