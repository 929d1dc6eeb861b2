/**
 * The engine's run() and replayIfCompleted() beyond the races of engine.test.ts
 * (issue 21, the engine's surviving mutants): which problems are stored, how a
 * problem answer is built, storedBody and afterCommit, a route without a key,
 * the stored-size limit, expired records, and the failures of background work
 * (release, lease renewal, storing a business answer) — on real Postgres; the
 * failing statements are real queries refused by a pool wrapper.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  createIdempotencyEngine,
  createIdempotencyMetrics,
  type HandlerResult,
  idempotency,
  idempotencyMigrations,
  idempotencyProblems,
} from '@steadfast/toolkit/idempotency';
import { createHttpMetrics } from '@steadfast/toolkit/observability';
import { migrate, type Pool } from '@steadfast/toolkit/postgres';
import {
  coreProblems,
  createProblemRegistry,
  ProblemError,
  type ProblemType,
  problems,
} from '@steadfast/toolkit/problems';
import { createTestDatabase, eventually, type TestDatabase } from '@steadfast/toolkit/testing';
import Fastify, { type FastifyInstance } from 'fastify';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await db.pool.query('CREATE TABLE notes (id bigserial PRIMARY KEY, text text NOT NULL)');
  await migrate(db.pool, [...idempotencyMigrations]);
});
after(() => db?.close());

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  await db.pool.query('TRUNCATE notes, idempotency_keys');
});

const custom = (slug: string, status: number, category: ProblemType['category']): ProblemType => ({
  slug,
  status,
  category,
  title: slug,
  retryable: false,
  description: slug,
});
const registry = createProblemRegistry(coreProblems, idempotencyProblems, [
  custom('note-conflict', 409, 'conflict'),
  custom('note-partner-down', 503, 'dependency'),
  custom('note-stale', 412, 'precondition'),
  custom('note-odd-500', 500, 'conflict'),
]);

/** The pool, except that statements matching `refuse` fail (the rest reach Postgres). */
function refusing(pool: Pool, refuse: (text: string) => boolean): Pool {
  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'query') {
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (config: string | { text: string }, values?: unknown[]) => {
        const text = typeof config === 'string' ? config : config.text;
        if (refuse(text)) return Promise.reject(new Error('refused by the test'));
        return target.query(config as string, values);
      };
    },
  });
}

interface Options {
  pool?: Pool;
  leaseS?: number;
  waitMs?: number;
  maxStoredBytes?: number;
  storedBody?: (result: HandlerResult) => unknown;
  afterCommit?: (result: HandlerResult) => Promise<HandlerResult | undefined>;
  handler?: (text: string) => HandlerResult | Promise<HandlerResult>;
}

async function instance(options: Options = {}) {
  const reports: { component: string; message: string; route: unknown }[] = [];
  const metrics = createHttpMetrics();
  const app = Fastify();
  await app.register(problems, { registry });
  await app.register(idempotency, { db: db.pool, tenantOf: () => 'default' });
  const counter = createIdempotencyMetrics(metrics.registry).requests;
  const { storedBody } = options;
  const engine = createIdempotencyEngine({
    db: options.pool ?? db.pool,
    registry,
    counter,
    retentionS: 86_400,
    leaseS: options.leaseS ?? 30,
    waitMs: options.waitMs,
    maxStoredBytes: options.maxStoredBytes,
    storedBody: storedBody ? (_request, result) => storedBody(result) : undefined,
    errors: {
      report: (component, error, context) =>
        reports.push({ component, message: (error as Error).message, route: context?.route }),
    },
  });
  const handle =
    options.handler ?? ((text: string) => ({ status: 201, body: { text }, headers: { Location: '/n/1' } }));
  for (const [url, keyed] of [
    ['/notes', true],
    ['/plain', false],
  ] as const) {
    app.post<{ Body: { text: string } }>(url, { config: { idempotency: keyed } }, (request, reply) =>
      engine.run(
        request,
        reply,
        async (tx) => {
          await tx.query('INSERT INTO notes (text) VALUES ($1)', [request.body.text]);
          return handle(request.body.text);
        },
        { afterCommit: options.afterCommit },
      ),
    );
  }
  for (const [url, keyed] of [
    ['/peek', true],
    ['/peek-plain', false],
  ] as const) {
    app.post<{ Body: { text: string } }>(url, { config: { idempotency: keyed } }, async (request, reply) =>
      (await engine.replayIfCompleted(request, reply)) ? reply : { replayed: false },
    );
  }
  await app.ready();
  apps.push(app);
  const outcomes = async () =>
    Object.fromEntries(
      (await counter.get()).values.map((v) => [String(v.labels.outcome), v.value] as [string, number]),
    );
  return { app, reports, outcomes };
}

const post = (app: FastifyInstance, key: string | undefined, text = 'hello', url = '/notes') =>
  app.inject({
    method: 'POST',
    url,
    headers: key === undefined ? {} : { 'idempotency-key': key },
    payload: { text },
  });

async function notes(): Promise<string[]> {
  return (await db.pool.query<{ text: string }>('SELECT text FROM notes ORDER BY id')).rows.map(
    (r) => r.text,
  );
}
async function keyRow(key: string) {
  const { rows } = await db.pool.query<{
    state: string;
    response_status: number | null;
    body: string | null;
  }>(
    `SELECT state, response_status, convert_from(response_body, 'UTF8') AS body FROM idempotency_keys WHERE key = $1`,
    [key],
  );
  return rows[0];
}

describe('a handler’s problem', () => {
  test('a 409 conflict is answered as a problem, rolled back, stored with its Retry-After and replayed', async () => {
    const a = await instance({
      handler: () => {
        throw new ProblemError('note-conflict', {
          detail: 'already there',
          headers: { 'Retry-After': '7', 'X-Other': 'not stored' },
          extensions: { currentText: 'old' },
          errors: [{ pointer: '/text', message: 'taken' }],
        });
      },
    });
    const first = await a.app.inject({
      method: 'POST',
      url: '/notes?debug=1',
      headers: { 'idempotency-key': 'k-409' },
      payload: { text: 'x' },
    });
    assert.equal(first.statusCode, 409);
    assert.equal(first.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(first.headers['retry-after'], '7');
    assert.equal(first.headers['x-other'], 'not stored');
    const body = first.json();
    assert.equal(body.type, '/problems/note-conflict');
    assert.equal(body.status, 409);
    assert.equal(body.detail, 'already there');
    assert.equal(body.instance, '/notes');
    assert.equal(typeof body.requestId, 'string');
    assert.equal(body.currentText, 'old');
    assert.deepEqual(body.errors, [{ pointer: '/text', message: 'taken' }]);
    assert.deepEqual(await notes(), []);
    assert.equal((await keyRow('k-409'))?.response_status, 409);

    const again = await post(a.app, 'k-409', 'x');
    assert.equal(again.statusCode, 409);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(again.headers['retry-after'], '7');
    assert.equal(again.headers['x-other'], undefined);
    assert.equal(again.body, first.body);
    assert.deepEqual(await a.outcomes(), { executed: 1, replayed: 1 });
  });

  for (const [slug, status] of [
    ['note-partner-down', 503],
    ['note-stale', 412],
    ['note-odd-500', 500],
  ] as const) {
    test(`${slug} (${status}) is not stored: the key is released and a retry executes`, async () => {
      let calls = 0;
      const a = await instance({
        handler: (text) => {
          calls++;
          if (calls === 1) throw new ProblemError(slug);
          return { status: 201, body: { text } };
        },
      });
      const failed = await post(a.app, `k-${status}`);
      assert.equal(failed.statusCode, status);
      assert.equal(failed.json().type, `/problems/${slug}`);
      assert.equal(await keyRow(`k-${status}`), undefined);
      const retried = await post(a.app, `k-${status}`);
      assert.equal(retried.statusCode, 201);
      assert.equal(retried.headers['idempotent-replayed'], undefined);
      assert.deepEqual(await notes(), ['hello']);
      assert.deepEqual(await a.outcomes(), { executed: 2 });
    });
  }

  test('storing a business answer fails: the key is released, the error answers, a retry executes', async () => {
    let calls = 0;
    const a = await instance({
      // the business answer is stored through the pool (the handler's transaction was rolled back)
      pool: refusing(db.pool, (text) => text.startsWith("UPDATE idempotency_keys SET state = 'completed'")),
      handler: () => {
        calls++;
        throw new ProblemError('note-conflict');
      },
    });
    const failed = await post(a.app, 'k-store');
    assert.equal(failed.statusCode, 500);
    assert.equal(await keyRow('k-store'), undefined, 'released');
    const retried = await post(a.app, 'k-store');
    assert.equal(retried.statusCode, 500);
    assert.equal(calls, 2);
  });
});

describe('failures of background work are reported, never swallowed', () => {
  test('a release that fails is reported with the route; the claim then waits for its lease', async () => {
    const a = await instance({
      pool: refusing(db.pool, (text) => text.trimStart().startsWith('DELETE FROM idempotency_keys')),
      handler: () => {
        throw new Error('a bug');
      },
    });
    const failed = await post(a.app, 'k-release');
    assert.equal(failed.statusCode, 500);
    assert.deepEqual(a.reports, [
      {
        component: 'idempotency-key-release',
        message: 'refused by the test',
        route: '/notes',
      },
    ]);
    assert.equal((await keyRow('k-release'))?.state, 'in_flight');
  });

  test('a lease renewal that fails is reported with the route', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const a = await instance({
      leaseS: 0.3,
      pool: refusing(db.pool, (text) => text.startsWith('UPDATE idempotency_keys SET lease_expires_at')),
      handler: async (text) => {
        await held;
        return { status: 201, body: { text } };
      },
    });
    const running = post(a.app, 'k-renew');
    await eventually(() => a.reports.length > 0, { message: 'no renewal was reported' });
    release();
    assert.equal((await running).statusCode, 201);
    assert.deepEqual(a.reports[0], {
      component: 'idempotency-lease-renewal',
      message: 'refused by the test',
      route: '/notes',
    });
  });
});

describe('what is sent and what is stored', () => {
  test('storedBody renders the first answer and the stored one; afterCommit’s answer is shown once', async () => {
    const a = await instance({
      storedBody: (result) => ({ rendered: result.body }),
      afterCommit: async (result) => ({
        status: 200,
        body: { done: (result.body as { text: string }).text },
      }),
    });
    const first = await post(a.app, 'k-view');
    assert.equal(first.statusCode, 200);
    assert.deepEqual(first.json(), { rendered: { done: 'hello' } });
    assert.equal(first.headers.location, undefined);
    assert.equal((await keyRow('k-view'))?.body, '{"rendered":{"text":"hello"}}');
    const replay = await post(a.app, 'k-view');
    assert.equal(replay.statusCode, 201);
    assert.equal(replay.headers.location, '/n/1');
    assert.deepEqual(replay.json(), { rendered: { text: 'hello' } });
  });

  test('an afterCommit that answers nothing shows the stored answer; storedBody applies to it', async () => {
    const a = await instance({
      storedBody: (result) => ({ rendered: result.body }),
      afterCommit: async () => undefined,
    });
    const first = await post(a.app, 'k-none');
    assert.equal(first.statusCode, 201);
    assert.equal(first.headers.location, '/n/1');
    assert.equal(first.body, '{"rendered":{"text":"hello"}}');
  });

  test('a route without idempotency runs the handler in a transaction, through afterCommit and storedBody', async () => {
    const a = await instance({
      storedBody: (result) => ({ rendered: result.body }),
      afterCommit: async (result) => ({
        status: 202,
        body: { shown: (result.body as { text: string }).text },
      }),
    });
    const res = await post(a.app, undefined, 'plain', '/plain');
    assert.equal(res.statusCode, 202);
    assert.deepEqual(res.json(), { rendered: { shown: 'plain' } });
    assert.deepEqual(await notes(), ['plain']);
    assert.equal((await db.pool.query('SELECT count(*)::int AS n FROM idempotency_keys')).rows[0].n, 0);
    const bare = await instance({});
    const again = await post(bare.app, undefined, 'plain again', '/plain');
    assert.equal(again.statusCode, 201);
    assert.deepEqual(again.json(), { text: 'plain again' });
    assert.equal(again.headers.location, '/n/1');
  });

  test('a body over maxStoredBytes is sent in full the first time; its replay has the status and no body', async () => {
    const a = await instance({ maxStoredBytes: 16 });
    const small = await post(a.app, 'k-small', 'abcdefg'); // {"text":"abcdefg"} is 18 bytes
    assert.equal(small.body, '{"text":"abcdefg"}');
    const replay = await post(a.app, 'k-small', 'abcdefg');
    assert.equal(replay.statusCode, 201);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.body, '');
    const fits = await post(a.app, 'k-fits', 'abcde'); // 16 bytes: kept
    assert.equal(fits.statusCode, 201);
    assert.equal((await post(a.app, 'k-fits', 'abcde')).body, '{"text":"abcde"}');
  });

  test('the default limit keeps a body of 1 MiB and drops a larger one', async () => {
    // the handler answers a body of the length asked for: {"text":"xx…"} is 11 bytes more than its x's
    const a = await instance({
      handler: (text) => ({ status: 201, body: { text: 'x'.repeat(Number(text)) } }),
    });
    assert.equal((await post(a.app, 'k-mib', '1048565')).statusCode, 201);
    assert.equal((await post(a.app, 'k-mib', '1048565')).body.length, 1_048_576);
    assert.equal((await post(a.app, 'k-over', '1048566')).body.length, 1_048_577);
    assert.equal((await post(a.app, 'k-over', '1048566')).body, '');
  });
});

describe('keys found in the store', () => {
  test('a record past its retention is deleted and the key executes as new', async () => {
    const a = await instance({});
    assert.equal((await post(a.app, 'k-old')).statusCode, 201);
    await db.pool.query(
      `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'k-old'`,
    );
    const fresh = await post(a.app, 'k-old', 'other payload');
    assert.equal(fresh.statusCode, 201);
    assert.equal(fresh.headers['idempotent-replayed'], undefined);
    assert.deepEqual(await notes(), ['hello', 'other payload']);
    assert.deepEqual(await a.outcomes(), { executed: 2 });
  });

  test('another payload on a key still in flight is a 422 at once, not a wait', async () => {
    const a = await instance({ waitMs: 60_000 });
    await db.pool.query(
      `INSERT INTO idempotency_keys (tenant_id, method, route, key, fingerprint, state, owner, lease_expires_at, expires_at)
       VALUES ('default', 'POST', '/notes', 'k-busy', '\\x00', 'in_flight', 'x:1', now() + interval '1 hour', now() + interval '1 day')`,
    );
    const res = await post(a.app, 'k-busy');
    assert.equal(res.statusCode, 422);
    assert.equal(res.json().type, '/problems/idempotency-key-reused');
    assert.deepEqual(await a.outcomes(), { fingerprint_mismatch: 1 });
  });

  test('by default a duplicate waits about a second for an in-flight first request, then 409', async () => {
    const a = await instance({});
    // the seed gives the in-flight row this payload's fingerprint
    assert.equal((await post(a.app, 'k-seed')).statusCode, 201);
    await db.pool.query(
      `INSERT INTO idempotency_keys (tenant_id, method, route, key, fingerprint, state, owner, lease_expires_at, expires_at)
       SELECT 'default', 'POST', '/notes', 'k-wait', fingerprint, 'in_flight', 'x:1', now() + interval '1 hour', now() + interval '1 day'
       FROM idempotency_keys WHERE key = 'k-seed'`,
    );
    const res = await post(a.app, 'k-wait');
    assert.equal(res.statusCode, 409);
    assert.equal(res.headers['retry-after'], '1');
    assert.equal(res.json().type, '/problems/idempotency-request-in-flight');
  });
});

describe('replayIfCompleted', () => {
  test('false without a key, for an unknown, in-flight or expired key; the stored answer for a completed one', async () => {
    const a = await instance({});
    assert.deepEqual((await post(a.app, undefined, 'hello', '/peek-plain')).json(), { replayed: false });
    assert.deepEqual((await post(a.app, 'k-peek', 'hello', '/peek')).json(), { replayed: false });
    assert.equal((await post(a.app, 'k-peek')).statusCode, 201);
    // /peek is another route: its scope differs, so copy the record over to it
    const copy = (key: string, state: string) =>
      db.pool.query(
        `INSERT INTO idempotency_keys (tenant_id, method, route, key, fingerprint, state, owner, lease_expires_at,
           response_status, response_headers, response_body, completed_at, expires_at)
         SELECT tenant_id, method, '/peek', $1, fingerprint, $2, owner, lease_expires_at,
           response_status, response_headers, response_body, completed_at, expires_at
         FROM idempotency_keys WHERE key = 'k-peek' AND route = '/notes'`,
        [key, state],
      );
    await copy('k-peek', 'completed');
    const replayed = await post(a.app, 'k-peek', 'hello', '/peek');
    assert.equal(replayed.statusCode, 201);
    assert.equal(replayed.headers['idempotent-replayed'], 'true');
    assert.deepEqual(replayed.json(), { text: 'hello' });
    const reused = await post(a.app, 'k-peek', 'another', '/peek');
    assert.equal(reused.statusCode, 422);

    await copy('k-flight', 'in_flight');
    await db.pool.query(`UPDATE idempotency_keys SET response_status = NULL WHERE key = 'k-flight'`);
    assert.deepEqual((await post(a.app, 'k-flight', 'hello', '/peek')).json(), { replayed: false });
    await copy('k-half', 'in_flight');
    assert.deepEqual((await post(a.app, 'k-half', 'hello', '/peek')).json(), { replayed: false });
    await copy('k-gone', 'completed');
    await db.pool.query(
      `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'k-gone'`,
    );
    assert.deepEqual((await post(a.app, 'k-gone', 'hello', '/peek')).json(), { replayed: false });
  });
});
