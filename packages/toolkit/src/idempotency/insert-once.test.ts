/**
 * insertOnce's group commit on real Postgres: concurrent requests' rows share
 * one statement, and each request still gets exactly the answer it would get
 * alone. Batches are made deterministic with a blocker: a first request whose
 * row waits on a lock the test holds occupies the only statement slot
 * (`maxInFlight: 1`), so the requests sent next queue and leave together.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventually } from '../testing/index.ts';
import { type Body, createInsertOnceHarness } from './insert-once-harness.ts';

const { block, instance, post, pool } = createInsertOnceHarness();

describe('insertOnce: group commit', () => {
  test('queued creates leave in one statement; each answer and stored response is its own row', async () => {
    const { app, batches, batchesByStatement, entered } = await instance();
    const blocker = await block(app);
    const sent = Array.from({ length: 12 }, (_, i) =>
      post(app, `k-${i}`, { id: `row-${i}`, label: `label-${i}` }),
    );
    await eventually(() => entered() === 13);
    // maxInFlight 1: the twelve wait for the only slot (with two, they would already be on their way)
    assert.deepEqual(await batches(), { count: 1, sum: 1 }, 'only the blocker has left');
    await blocker.release();
    assert.equal((await blocker.blocked).statusCode, 201);
    const answers = await Promise.all(sent);
    answers.forEach((a, i) => {
      assert.equal(a.statusCode, 201);
      assert.deepEqual(a.json(), { id: `row-${i}`, label: `label-${i}` });
      assert.equal(a.headers.location, `/labels/row-${i}`);
      assert.equal(a.headers['idempotent-replayed'], undefined);
    });
    assert.deepEqual(await batches(), { count: 2, sum: 13 }, 'the blocker alone, then the twelve together');
    assert.deepEqual(await batchesByStatement(), {
      statements: { 'labels.insert': 2 },
      rows: { 'labels.insert': 13 },
    });
    const { rows: transactions } = await pool().query(
      `SELECT count(DISTINCT xmin::text)::int AS n FROM labels WHERE id LIKE 'row-%'`,
    );
    assert.equal(transactions[0].n, 1, 'one statement, one transaction for the twelve');
    const { rows } = await pool().query(
      `SELECT k.key, convert_from(k.response_body, 'utf8')::jsonb AS body, l.label, l.doc, l.amount, l.at, l.flag, l.blob, l.note
       FROM idempotency_keys k JOIN labels l ON l.id = convert_from(k.response_body, 'utf8')::jsonb->>'id'
       WHERE k.key LIKE 'k-%' AND k.key <> 'k-blocker' ORDER BY l.id`,
    );
    assert.equal(rows.length, 12);
    for (const row of rows) {
      const i = row.key.slice(2);
      assert.deepEqual(row.body, { id: `row-${i}`, label: `label-${i}` }, 'the key stores its own answer');
      assert.equal(row.label, `label-${i}`);
      assert.deepEqual(row.doc, { label: `label-${i}`, quote: 'say "hi" \\ bye' });
      assert.equal(row.amount, '9007199254740000');
      assert.equal(row.at.toISOString(), '2026-12-01T10:00:00.000Z');
      assert.equal(row.flag, `label-${i}`.length % 2 === 0);
      assert.deepEqual([...row.blob], [0, 255, 1, `label-${i}`.length]);
      assert.equal(row.note, null);
    }
    // a replay afterwards is the stored answer, byte for byte
    const replay = await post(app, 'k-3', { id: 'row-3', label: 'label-3' });
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.deepEqual(replay.json(), { id: 'row-3', label: 'label-3' });
  });

  test('one bad row fails the batch statement: the batch is retried row by row, and only the bad one fails', async () => {
    const { app, batches, entered, reported, details } = await instance();
    const blocker = await block(app);
    const labels = ['a', 'b', 'bad', 'c', 'd'];
    const sent = labels.map((label, i) => post(app, `f-${i}`, { id: `f-${i}`, label }));
    await eventually(() => entered() === 6);
    await blocker.release();
    await blocker.blocked;
    const answers = await Promise.all(sent);
    assert.deepEqual(
      answers.map((a) => a.statusCode),
      [201, 201, 500, 201, 201],
    );
    assert.deepEqual(reported, ['idempotency-batch'], 'the failed batch is reported');
    assert.deepEqual(details, [{ statement: 'labels.insert', size: 5 }]);
    assert.equal((await batches()).count, 2);
    const { rows } = await pool().query(`SELECT id FROM labels WHERE id LIKE 'f-%' ORDER BY id`);
    assert.deepEqual(
      rows.map((r) => r.id),
      ['f-0', 'f-1', 'f-3', 'f-4'],
    );
    const { rows: keys } = await pool().query(
      `SELECT key FROM idempotency_keys WHERE key LIKE 'f-%' ORDER BY key`,
    );
    assert.deepEqual(
      keys.map((k) => k.key),
      ['f-0', 'f-1', 'f-3', 'f-4'],
      'the failed request left no key: its retry runs again',
    );
    const retry = await post(app, 'f-2', { id: 'f-2', label: 'good now' });
    assert.equal(retry.statusCode, 201);
  });

  test('a key twice in one batch: one writes, the same request replays, another payload gets 422', async () => {
    const { app, entered, reported } = await instance();
    const blocker = await block(app);
    const sent = [
      post(app, 'd-1', { id: 'd-1', label: 'one' }),
      post(app, 'd-1', { id: 'd-1', label: 'one' }),
      post(app, 'd-2', { id: 'd-2', label: 'two' }),
      post(app, 'd-2', { id: 'd-2x', label: 'another payload' }),
    ];
    await eventually(() => entered() === 5);
    await blocker.release();
    await blocker.blocked;
    const [a, b, c, d] = await Promise.all(sent);
    assert.equal(a.statusCode, 201);
    assert.equal(a.headers['idempotent-replayed'], undefined);
    assert.equal(b.statusCode, 201);
    assert.equal(b.headers['idempotent-replayed'], 'true');
    assert.deepEqual(b.json(), a.json());
    assert.equal(c.statusCode, 201);
    assert.equal(d.statusCode, 422);
    assert.equal(d.json().type, '/problems/idempotency-key-reused');
    const { rows } = await pool().query(`SELECT id FROM labels WHERE id LIKE 'd-%' ORDER BY id`);
    assert.deepEqual(
      rows.map((r) => r.id),
      ['d-1', 'd-2'],
    );
    assert.deepEqual(reported, [], 'the batch itself handled its duplicates (no fallback)');
  });

  test('a key another process already completed, met inside a batch, is replayed, not written again', async () => {
    const first = await instance(false);
    assert.equal((await post(first.app, 'p-1', { id: 'p-1', label: 'first' })).statusCode, 201);
    const { app, entered } = await instance();
    const blocker = await block(app);
    const sent = [
      post(app, 'p-1', { id: 'p-1', label: 'first' }),
      post(app, 'p-2', { id: 'p-2', label: 'new' }),
    ];
    await eventually(() => entered() === 3);
    await blocker.release();
    await blocker.blocked;
    const [again, fresh] = await Promise.all(sent);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(fresh.statusCode, 201);
    assert.equal(fresh.headers['idempotent-replayed'], undefined);
    const { rows } = await pool().query(`SELECT count(*)::int AS n FROM labels WHERE id = 'p-1'`);
    assert.equal(rows[0].n, 1);
  });

  test('given a function, a replay is answered from the stored response without preparing again', async () => {
    const { app, prepared } = await instance();
    const send = (body: Body) =>
      app.inject({
        method: 'POST',
        url: '/prepared',
        headers: { 'idempotency-key': 'prep-1' },
        payload: body,
      });
    const first = await send({ id: 'prep', label: 'one' });
    assert.equal(first.statusCode, 201);
    assert.deepEqual(first.json(), { id: 'prep', label: 'one', prepared: 1 });
    const replay = await send({ id: 'prep', label: 'one' });
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.deepEqual(replay.json(), { id: 'prep', label: 'one', prepared: 1 });
    const reused = await send({ id: 'prep', label: 'another' });
    assert.equal(reused.statusCode, 422);
    assert.equal(prepared(), 1, 'neither the replay nor the misuse prepared the effect again');
  });

  test('coalesce: false writes one statement per request, with the same answers', async () => {
    const { app, batches } = await instance(false);
    const answers = await Promise.all(
      [0, 1, 2].map((i) => post(app, `o-${i}`, { id: `o-${i}`, label: `l${i}` })),
    );
    assert.deepEqual(
      answers.map((a) => a.statusCode),
      [201, 201, 201],
    );
    assert.equal((await batches()).count, 0, 'no coalesced statement was sent');
  });

  test('a request whose row lacks a value fails alone, even inside a batch; its neighbours are written', async () => {
    const { app, entered, reported } = await instance();
    const blocker = await block(app);
    const sent = [
      post(app, 's-0', { id: 's-0', label: 'x', note: 'kept' }),
      post(app, 's-1', { id: 's-1', label: 'y', note: 'lost', short: true }),
      post(app, 's-2', { id: 's-2', label: 'z', note: 'kept' }),
    ];
    await eventually(() => entered() === 4);
    await blocker.release();
    await blocker.blocked;
    assert.deepEqual(
      (await Promise.all(sent)).map((a) => a.statusCode),
      [201, 500, 201],
    );
    assert.deepEqual(reported, ['idempotency-batch']);
    const { rows } = await pool().query(`SELECT id, note FROM labels WHERE id LIKE 's-%' ORDER BY id`);
    assert.deepEqual(rows, [
      { id: 's-0', note: 'kept' },
      { id: 's-2', note: 'kept' },
    ]);
  });
});
