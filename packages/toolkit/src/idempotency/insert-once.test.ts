/**
 * insertOnce's group commit on real Postgres: concurrent requests' rows share
 * one statement, and each request still gets exactly the answer it would get
 * alone. Batches are made deterministic with a blocker: a first request whose
 * row waits on a lock the test holds occupies the only statement slot
 * (`maxInFlight: 1`), so the requests sent next queue and leave together.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  createIdempotencyEngine,
  createIdempotencyMetrics,
  idempotency,
  idempotencyMigrations,
  idempotencyProblems,
} from '@steadfast/toolkit/idempotency';
import { createHttpMetrics } from '@steadfast/toolkit/observability';
import { migrate } from '@steadfast/toolkit/postgres';
import { coreProblems, createProblemRegistry, problems } from '@steadfast/toolkit/problems';
import {
  createTestDatabase,
  eventually,
  type HeldRowLock,
  holdRowLock,
  type TestDatabase,
} from '@steadfast/toolkit/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { checkRowShape } from './store-batch.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await db.pool.query(`CREATE TABLE labels (
    id text PRIMARY KEY, label text NOT NULL CHECK (label <> 'bad'), doc jsonb NOT NULL,
    amount bigint NOT NULL, at timestamptz NOT NULL, flag boolean NOT NULL, blob bytea, note text)`);
  await migrate(db.pool, [...idempotencyMigrations]);
});
after(() => db?.close());

const apps: FastifyInstance[] = [];
let held: HeldRowLock | undefined;
afterEach(async () => {
  await held?.release();
  held = undefined;
  await Promise.all(apps.splice(0).map((a) => a.close()));
  await db.pool.query('TRUNCATE labels, idempotency_keys');
});

type Body = { id: string; label: string; note?: string | null; short?: boolean };

async function instance(coalesce: { maxInFlight: number } | false = { maxInFlight: 1 }) {
  const metrics = createHttpMetrics();
  const registry = createProblemRegistry(coreProblems, idempotencyProblems);
  const reported: string[] = [];
  const details: unknown[] = [];
  const app = Fastify();
  await app.register(problems, { registry });
  // duplicates in this process do not wait for each other: they may meet in one batch
  await app.register(idempotency, { db: db.pool, tenantOf: () => 'default', inFlightWaitMs: 0 });
  const idempotencyMetrics = createIdempotencyMetrics(metrics.registry);
  const engine = createIdempotencyEngine({
    db: db.pool,
    registry,
    counter: idempotencyMetrics.requests,
    retentionS: 86_400,
    leaseS: 30,
    waitMs: 100,
    errors: {
      report: (component, _error, detail) => {
        reported.push(component);
        details.push(detail);
      },
    },
    coalesce,
    batches: idempotencyMetrics.batches,
  });
  let entered = 0;
  let prepared = 0;
  // a prepare that fails once a first request with the same key completed meanwhile (a partner down on the retry)
  let flakyPrepares = 0;
  app.post<{ Body: Body }>('/flaky', { config: { idempotency: true } }, (request, reply) =>
    engine.insertOnce(request, reply, async () => {
      flakyPrepares++;
      const { id, label } = request.body;
      if (flakyPrepares === 1) {
        // the same request again completes while this one prepares, then this one's partner fails
        const twin = await app.inject({
          method: 'POST',
          url: '/flaky',
          headers: { 'idempotency-key': request.headers['idempotency-key'] as string },
          payload: request.body,
        });
        assert.equal(twin.statusCode, 201);
        throw new Error('the partner is down');
      }
      return {
        result: { status: 201, body: { id, label, attempt: flakyPrepares } },
        row: {
          name: 'labels.flaky',
          table: 'labels',
          columns: [
            ['id', 'text'],
            ['label', 'text'],
            ['doc', 'jsonb'],
            ['amount', 'bigint'],
            ['at', 'timestamptz'],
            ['flag', 'boolean'],
          ],
          values: [id, label, '{}', 1, '2026-12-01T10:00:00Z', false],
        },
      };
    }),
  );
  // no idempotency on this route: the effect runs as a plain statement, no key is written
  app.post<{ Body: Body }>('/plain', (request, reply) =>
    engine.insertOnce(request, reply, {
      result: { status: 201, body: { id: request.body.id } },
      row: {
        name: 'labels.plain',
        table: 'labels',
        columns: [
          ['id', 'text'],
          ['label', 'text'],
          ['doc', 'jsonb'],
          ['amount', 'bigint'],
          ['at', 'timestamptz'],
          ['flag', 'boolean'],
        ],
        values: [request.body.id, request.body.label, '{"plain":true}', 7, '2026-12-01T10:00:00Z', true],
      },
    }),
  );
  // neither a statement nor a row: a programming error, answered 500
  app.post('/nothing', { config: { idempotency: true } }, (request, reply) =>
    engine.insertOnce(request, reply, { result: { status: 201, body: {} } }),
  );
  // the function form: a stored answer is replayed before prepare runs (prepare stands for a partner call)
  app.post<{ Body: Body }>('/prepared', { config: { idempotency: true } }, (request, reply) =>
    engine.insertOnce(request, reply, async () => {
      prepared++;
      const { id, label } = request.body;
      return {
        result: { status: 201, body: { id, label, prepared } },
        row: {
          name: 'labels.prepared',
          table: 'labels',
          columns: [
            ['id', 'text'],
            ['label', 'text'],
            ['doc', 'jsonb'],
            ['amount', 'bigint'],
            ['at', 'timestamptz'],
            ['flag', 'boolean'],
          ],
          values: [id, label, '{}', prepared, '2026-12-01T10:00:00Z', true],
        },
      };
    }),
  );
  app.post<{ Body: Body }>('/labels', { config: { idempotency: true } }, (request, reply) => {
    const { id, label, note } = request.body;
    entered++;
    return engine.insertOnce(request, reply, {
      result: { status: 201, body: { id, label }, headers: { Location: `/labels/${id}` } },
      row: {
        name: 'labels.insert',
        table: 'labels',
        columns: [
          ['id', 'text'],
          ['label', 'text'],
          ['doc', 'jsonb'],
          ['amount', 'bigint'],
          ['at', 'timestamptz'],
          ['flag', 'boolean'],
          ['blob', 'bytea'],
          ['note', 'text'],
        ],
        values: [
          id,
          label,
          JSON.stringify({ label, quote: 'say "hi" \\ bye' }),
          9_007_199_254_740_000,
          '2026-12-01T10:00:00.000Z',
          label.length % 2 === 0,
          Buffer.from([0, 255, 1, label.length]),
          note ?? null,
        ].slice(0, request.body.short ? 7 : 8), // short: one value missing (a caller's bug)
      },
    });
  });
  await app.ready();
  apps.push(app);
  const batches = async () => {
    const total = async (counter: typeof idempotencyMetrics.batches.rows) =>
      (await counter.get()).values.reduce((n, v) => n + v.value, 0);
    return {
      count: await total(idempotencyMetrics.batches.statements),
      sum: await total(idempotencyMetrics.batches.rows),
    };
  };
  const outcomes = async () =>
    Object.fromEntries(
      (await idempotencyMetrics.requests.get()).values.map((v) => [String(v.labels.outcome), v.value]),
    );
  return {
    app,
    reported,
    details,
    batches,
    outcomes,
    entered: () => entered,
    prepared: () => prepared,
    flakyPrepares: () => flakyPrepares,
  };
}

const post = (app: FastifyInstance, key: string, body: Body) =>
  app.inject({ method: 'POST', url: '/labels', headers: { 'idempotency-key': key }, payload: body });

/** a first request whose row waits on a row lock the test holds: the only slot stays busy */
async function block(app: FastifyInstance) {
  const lock = await holdRowLock(
    db.pool,
    `INSERT INTO labels (id, label, doc, amount, at, flag) VALUES ('blocker', 'x', '{}', 0, now(), true)`,
  );
  held = lock;
  const blocked = post(app, 'k-blocker', { id: 'blocker', label: 'blocker' });
  await lock.waiters(1);
  return { blocked, release: lock.release };
}

describe('insertOnce: group commit', () => {
  test('queued creates leave in one statement; each answer and stored response is its own row', async () => {
    const { app, batches, entered } = await instance();
    const blocker = await block(app);
    const sent = Array.from({ length: 12 }, (_, i) =>
      post(app, `k-${i}`, { id: `row-${i}`, label: `label-${i}` }),
    );
    await eventually(() => entered() === 13);
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
    const { rows: transactions } = await db.pool.query(
      `SELECT count(DISTINCT xmin::text)::int AS n FROM labels WHERE id LIKE 'row-%'`,
    );
    assert.equal(transactions[0].n, 1, 'one statement, one transaction for the twelve');
    const { rows } = await db.pool.query(
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
    const { rows } = await db.pool.query(`SELECT id FROM labels WHERE id LIKE 'f-%' ORDER BY id`);
    assert.deepEqual(
      rows.map((r) => r.id),
      ['f-0', 'f-1', 'f-3', 'f-4'],
    );
    const { rows: keys } = await db.pool.query(
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
    const { rows } = await db.pool.query(`SELECT id FROM labels WHERE id LIKE 'd-%' ORDER BY id`);
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
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM labels WHERE id = 'p-1'`);
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
    const { rows } = await db.pool.query(`SELECT id, note FROM labels WHERE id LIKE 's-%' ORDER BY id`);
    assert.deepEqual(rows, [
      { id: 's-0', note: 'kept' },
      { id: 's-2', note: 'kept' },
    ]);
  });

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
    const { rows } = await db.pool.query(`SELECT id FROM labels WHERE id = 'fl-1'`);
    assert.equal(rows.length, 1);
  });

  test('neither a statement nor a row is a programming error: 500, and no key is kept', async () => {
    const { app } = await instance();
    const nothing = await app.inject({
      method: 'POST',
      url: '/nothing',
      headers: { 'idempotency-key': 'n-1' },
      payload: {},
    });
    assert.equal(nothing.statusCode, 500);
    const { rows } = await db.pool.query(`SELECT key FROM idempotency_keys WHERE key = 'n-1'`);
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
    const { rows } = await db.pool.query(
      `SELECT id, label, doc, amount FROM labels WHERE id LIKE 'pl-%' ORDER BY id`,
    );
    assert.deepEqual(rows, [
      { id: 'pl-1', label: 'pl-1', doc: { plain: true }, amount: '7' },
      { id: 'pl-2', label: 'pl-2', doc: { plain: true }, amount: '7' },
    ]);
    const { rows: keys } = await db.pool.query('SELECT count(*)::int AS n FROM idempotency_keys');
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
