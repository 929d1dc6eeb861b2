/**
 * Concurrent duplicates of one key in one process: the plugin holds them
 * until the first answers, so the work before the key is claimed (e.g.
 * pricing before an insertOnce) runs once, not once per retry.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  createIdempotencyEngine,
  createIdempotencyMetrics,
  idempotency,
  idempotencyMigrations,
  idempotencyProblems,
} from '@steadfast/toolkit/idempotency';
import { createBackgroundErrors, createHttpMetrics, createLogger } from '@steadfast/toolkit/observability';
import { migrate } from '@steadfast/toolkit/postgres';
import { coreProblems, createProblemRegistry, problems } from '@steadfast/toolkit/problems';
import { createTestDatabase, type TestDatabase } from '@steadfast/toolkit/testing';
import Fastify, { type FastifyInstance } from 'fastify';

let db: TestDatabase;

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await db.pool.query('CREATE TABLE notes (id bigserial PRIMARY KEY, text text NOT NULL)');
  await migrate(db.pool, [...idempotencyMigrations]);
});
after(() => db?.close());

/** An app whose handler "calls a partner" (counted, slow) before one idempotent INSERT. */
async function buildApp(options: { inFlightWaitMs?: number } = {}) {
  const metrics = createHttpMetrics();
  const registry = createProblemRegistry(coreProblems, idempotencyProblems);
  const app = Fastify();
  await app.register(problems, { registry });
  await app.register(idempotency, {
    db: db.pool,
    tenantOf: () => 'default',
    inFlightWaitMs: options.inFlightWaitMs,
  });
  const engine = createIdempotencyEngine({
    db: db.pool,
    registry,
    counter: createIdempotencyMetrics(metrics.registry).requests,
    retentionS: 86_400,
    leaseS: 30,
    errors: createBackgroundErrors({ log: createLogger({ level: 'silent' }), registry: metrics.registry }),
  });
  const counts = { partnerCalls: 0, inserted: 0 };
  const cached = new Set<string>(); // what the partner answered, like a price cache
  let release: () => void = () => {};
  const partnerGate = new Promise<void>((resolve) => (release = resolve));
  app.post<{ Body: { text: string } }>(
    '/notes',
    { config: { idempotency: true } },
    async (request, reply) => {
      if (!cached.has(request.body.text)) {
        counts.partnerCalls++;
        await partnerGate; // the partner answers when the test says so
        if (request.body.text === 'boom') throw new Error('the partner failed');
        cached.add(request.body.text);
      }
      return engine.insertOnce(request, reply, {
        result: { status: 201, body: { text: request.body.text } },
        effect: {
          name: 'notes.insert',
          text: 'INSERT INTO notes (text) SELECT $1 FROM claimed',
          values: [request.body.text],
        },
        onExecuted: () => counts.inserted++,
      });
    },
  );
  await app.ready();
  return { app, counts, release };
}

const post = (app: FastifyInstance, key: string, text = 'hello') =>
  app.inject({
    method: 'POST',
    url: '/notes',
    headers: { 'idempotency-key': key, 'content-type': 'application/json' },
    payload: { text },
  });

test('10 concurrent requests with one key: the partner is called once, all get the same answer', async () => {
  const { app, counts, release } = await buildApp();
  try {
    const answers = Array.from({ length: 10 }, () => post(app, 'k-once'));
    const other = post(app, 'k-other', 'other'); // another key is not held
    // the first request of each key is in its handler; the nine duplicates wait in the plugin
    const deadline = Date.now() + 5000;
    while (counts.partnerCalls < 2 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    assert.equal(counts.partnerCalls, 2);
    release();
    const responses = await Promise.all(answers);
    assert.equal((await other).statusCode, 201);
    assert.deepEqual(
      responses.map((r) => r.statusCode),
      Array(10).fill(201),
    );
    assert.equal(responses.filter((r) => r.headers['idempotent-replayed'] === 'true').length, 9);
    // the duplicates went on after the first answered: no partner call, the stored answer replayed
    assert.equal(counts.inserted, 2);
    assert.equal(counts.partnerCalls, 2);
  } finally {
    await app.close();
  }
});

test('a first request slower than inFlightWaitMs does not hold its duplicates: they go on, and the engine decides', async () => {
  const { app, counts, release } = await buildApp({ inFlightWaitMs: 20 });
  try {
    const first = post(app, 'k-slow');
    const deadline = Date.now() + 5000;
    while (counts.partnerCalls < 1 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    const duplicate = post(app, 'k-slow');
    while (counts.partnerCalls < 2 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    assert.equal(counts.partnerCalls, 2, 'the duplicate reached its handler after the wait');
    release();
    const statuses = [(await first).statusCode, (await duplicate).statusCode];
    assert.deepEqual(statuses, [201, 201]);
    assert.equal(counts.inserted, 1);
  } finally {
    await app.close();
  }
});

test('a first request that fails releases its duplicates at once: they run the handler themselves', async () => {
  const { app, counts, release } = await buildApp({ inFlightWaitMs: 60_000 });
  try {
    const answers = Array.from({ length: 3 }, () => post(app, 'k-fail', 'boom'));
    const deadline = Date.now() + 5000;
    while (counts.partnerCalls < 1 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    release();
    // with a 60 s wait, only the first's failure can let the other two on before the test's timeout
    const statuses = (await Promise.all(answers)).map((r) => r.statusCode);
    assert.deepEqual(statuses, [500, 500, 500]);
    assert.equal(counts.partnerCalls, 3);
    assert.equal(counts.inserted, 0);
  } finally {
    await app.close();
  }
});

test('a first client that hangs up mid-handler releases its duplicates at once (no hook but the response close fires)', async () => {
  const { app, counts, release } = await buildApp({ inFlightWaitMs: 60_000 });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const send = (signal?: AbortSignal) =>
    fetch(`${base}/notes`, {
      method: 'POST',
      headers: { 'idempotency-key': 'k-gone', 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'gone' }),
      signal,
    });
  try {
    const controller = new AbortController();
    const first = send(controller.signal).catch((error: Error) => error);
    const deadline = Date.now() + 5000;
    while (counts.partnerCalls < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    controller.abort(); // the client gives up while its request is in the handler
    assert.ok((await first) instanceof Error);
    // its retry is not held for 60 s behind a request nobody waits for: it reaches the handler
    const retry = send();
    while (counts.partnerCalls < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.equal(counts.partnerCalls, 2, 'the retry went on without waiting for the abandoned request');
    release();
    const answer = await retry;
    assert.equal(answer.status, 201);
    assert.equal(counts.inserted, 1, 'one insert: the engine decided between the two');
  } finally {
    release();
    app.server.closeAllConnections();
    await app.close();
  }
});
