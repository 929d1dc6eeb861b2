/**
 * insertOnce beyond batching, on real Postgres: outcomes counted, a prepare
 * that fails after its twin completed, a spec with no effect, a route without
 * idempotency, and row shapes refused before any SQL is built.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createInsertOnceHarness } from './insert-once-harness.ts';
import { checkRowShape } from './store-batch.ts';

const { instance, post, pool } = createInsertOnceHarness();

describe('insertOnce: counted outcomes, odd specs and plain routes', () => {
  test('the outcomes are counted: executed once, then replayed', async () => {
    const { app, outcomes } = await instance(false);
    assert.equal((await post(app, 'c-1', { id: 'c-1', label: 'one' })).statusCode, 201);
    assert.equal((await post(app, 'c-1', { id: 'c-1', label: 'one' })).statusCode, 201);
    assert.equal((await post(app, 'c-1', { id: 'c-1', label: 'two' })).statusCode, 422);
    assert.deepEqual(await outcomes(), { executed: 1, replayed: 1, fingerprint_mismatch: 1 });
  });

  test('a prepare that fails after the same request completed meanwhile answers the stored response', async () => {
    const { app, flakyPrepares } = await instance();
    const first = await app.inject({
      method: 'POST',
      url: '/flaky',
      headers: { 'idempotency-key': 'fl-1' },
      payload: { id: 'fl-1', label: 'one' },
    });
    assert.equal(first.statusCode, 201);
    assert.equal(first.headers['idempotent-replayed'], 'true');
    assert.deepEqual(first.json(), { id: 'fl-1', label: 'one', attempt: 2 });
    assert.equal(flakyPrepares(), 2);
    const { rows } = await pool().query(`SELECT id FROM labels WHERE id = 'fl-1'`);
    assert.equal(rows.length, 1);
  });

  test('neither a statement nor a row is a programming error: 500, and no key is kept', async () => {
    const { app, thrown } = await instance();
    const nothing = await app.inject({
      method: 'POST',
      url: '/nothing',
      headers: { 'idempotency-key': 'n-1' },
      payload: {},
    });
    assert.equal(nothing.statusCode, 500);
    assert.deepEqual(thrown, ['insertOnce: give an effect (statement) or a row']);
    const { rows } = await pool().query(`SELECT key FROM idempotency_keys WHERE key = 'n-1'`);
    assert.deepEqual(rows, []);
  });

  test('without idempotency on the route, the row is written by a plain statement and no key is kept', async () => {
    const { app } = await instance();
    const answers = await Promise.all(
      ['pl-1', 'pl-2'].map((id) => app.inject({ method: 'POST', url: '/plain', payload: { id, label: id } })),
    );
    assert.deepEqual(
      answers.map((a) => [a.statusCode, a.json()]),
      [
        [201, { id: 'pl-1' }],
        [201, { id: 'pl-2' }],
      ],
    );
    const { rows } = await pool().query(
      `SELECT id, label, doc, amount FROM labels WHERE id LIKE 'pl-%' ORDER BY id`,
    );
    assert.deepEqual(rows, [
      { id: 'pl-1', label: 'pl-1', doc: { plain: true }, amount: '7' },
      { id: 'pl-2', label: 'pl-2', doc: { plain: true }, amount: '7' },
    ]);
    const { rows: keys } = await pool().query('SELECT count(*)::int AS n FROM idempotency_keys');
    assert.equal(keys[0].n, 0);
  });

  test('a row shape with a name that is not an identifier is refused before any SQL is built', () => {
    // identifiers and types are spliced into the statement text: the coalesced writer checks them first
    assert.throws(
      () =>
        checkRowShape({
          name: 'x',
          table: 'labels; DROP TABLE labels',
          columns: [['id', 'text']],
          values: ['1'],
        }),
      /bad table name/,
    );
    assert.throws(
      () => checkRowShape({ name: 'x', table: 'labels', columns: [['id', 'text); --']], values: ['1'] }),
      /bad column/,
    );
    assert.throws(
      () => checkRowShape({ name: 'x', table: 'labels', columns: [['id', 'text']], values: [] }),
      /0 values/,
    );
  });
});
