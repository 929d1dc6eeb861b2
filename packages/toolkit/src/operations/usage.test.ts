/** Usage of @steadfast/toolkit/operations on a bare Fastify app: 202 + Location, polling, Prefer: wait. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  createOperation,
  createOperationWaiter,
  findOperation,
  operationResult,
  operationsMigrations,
  preferredWaitS,
  reapOperations,
  sendOperation,
  updateOperation,
} from '@steadfast/toolkit/operations';
import {
  ALL_TENANTS,
  migrate,
  type Pool,
  schemaCheckHook,
  tenantParam,
  withTransaction,
} from '@steadfast/toolkit/postgres';
import { coreProblems, createProblemRegistry, ProblemError, problems } from '@steadfast/toolkit/problems';
import { createTestDatabase, type TestDatabase } from '@steadfast/toolkit/testing';
import Fastify, { type FastifyInstance } from 'fastify';

// docs:start app
async function buildApp(pool: Pool): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(problems, { registry: createProblemRegistry(coreProblems) });
  const waiter = createOperationWaiter(pool); // one LISTEN connection for the process
  app.addHook('onReady', schemaCheckHook(app.log, pool, operationsMigrations, 'operationsMigrations'));
  app.addHook('onClose', () => waiter.close());

  app.post('/reports', async (_request, reply) => {
    const op = await withTransaction(pool, async (tx) => {
      // enqueue the job that does the work on the same tx: both commit or neither
      return createOperation(tx, { id: `op_${randomUUID()}`, tenantId: 'default', kind: 'report' });
    });
    return sendOperation(reply, op, { location: `/operations/${op.id}` }); // 202 + Location + Retry-After
  });

  app.get<{ Params: { id: string } }>('/operations/:id', async (request, reply) => {
    const waitS = preferredWaitS(request); // Prefer: wait=N, at most 30
    const op = waitS
      ? await waiter.wait(request.params.id, 'default', waitS * 1000)
      : await findOperation(pool, request.params.id, 'default');
    if (!op) throw new ProblemError('not-found', { detail: `No operation ${request.params.id}.` });
    return sendOperation(reply, op, { location: `/operations/${op.id}`, waitedS: waitS }); // 200 once ended
  });
  return app;
}
// docs:end app

let db: TestDatabase;
let app: FastifyInstance;

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...operationsMigrations]);
  app = await buildApp(db.pool);
  await app.ready();
});
after(async () => {
  await app?.close();
  await db?.close();
});

async function startReport(): Promise<string> {
  const started = await app.inject({ method: 'POST', url: '/reports' });
  assert.equal(started.statusCode, 202);
  return started.json().id;
}

describe('operations', () => {
  test('202 with Location and Retry-After, then 200 with the result once the work has ended', async () => {
    const started = await app.inject({ method: 'POST', url: '/reports' });
    assert.equal(started.statusCode, 202);
    const { id, status } = started.json();
    assert.equal(status, 'pending');
    assert.equal(started.headers.location, `/operations/${id}`);
    assert.equal(started.headers['retry-after'], '1');

    const pool = db.pool;
    // docs:start worker
    // in the job that does the work:
    await updateOperation(pool, id, { status: 'running' });
    await updateOperation(pool, id, { status: 'succeeded', result: { rows: 42 } });
    // docs:end worker

    const done = await app.inject({ method: 'GET', url: `/operations/${id}` });
    assert.equal(done.statusCode, 200);
    assert.equal(done.headers.location, undefined);
    assert.deepEqual(
      { status: done.json().status, result: done.json().result },
      { status: 'succeeded', result: { rows: 42 } },
    );
  });

  test('while the work runs, polling answers 202 with the current status and last transient error', async () => {
    const id = await startReport();
    await updateOperation(db.pool, id, { status: 'running', lastError: { detail: 'partner timed out' } });
    const polled = await app.inject({ method: 'GET', url: `/operations/${id}` });
    assert.equal(polled.statusCode, 202);
    assert.equal(polled.headers['retry-after'], '1');
    assert.equal(polled.json().status, 'running');
    assert.deepEqual(polled.json().lastError, { detail: 'partner timed out' });

    await updateOperation(db.pool, id, { status: 'succeeded', lastError: null }); // null clears it
    const done = await app.inject({ method: 'GET', url: `/operations/${id}` });
    assert.equal(done.statusCode, 200);
    assert.equal('lastError' in done.json(), false);
  });

  test('Prefer: wait holds the answer until the operation ends', async () => {
    const id = await startReport();
    const waiting = app.inject({ method: 'GET', url: `/operations/${id}`, headers: { prefer: 'wait=20' } });
    await updateOperation(db.pool, id, { status: 'succeeded', result: { rows: 1 } });
    const answer = await waiting;
    assert.equal(answer.statusCode, 200);
    assert.equal(answer.headers['preference-applied'], 'wait=20');
    assert.equal(answer.json().status, 'succeeded');
  });

  test('a failed operation carries its problem; ended operations are final', async () => {
    const id = await startReport();
    const problem = { type: '/problems/dependency-unavailable', title: 'The partner is down', status: 503 };
    await updateOperation(db.pool, id, { status: 'failed', error: problem });
    assert.equal(await updateOperation(db.pool, id, { status: 'succeeded' }), undefined);
    const read = await app.inject({ method: 'GET', url: `/operations/${id}` });
    assert.equal(read.statusCode, 200);
    assert.equal(read.json().status, 'failed');
    assert.deepEqual(read.json().error, problem);
  });

  test("another tenant's or an unknown operation is a 404 problem", async () => {
    const op = await createOperation(db.pool, {
      id: `op_${randomUUID()}`,
      tenantId: 'other',
      kind: 'report',
    });
    const read = await app.inject({ method: 'GET', url: `/operations/${op.id}` });
    assert.equal(read.statusCode, 404);
    assert.equal(read.json().type, '/problems/not-found');
  });

  test('operationResult gives the status, headers and body to store (e.g. as an idempotent answer)', async () => {
    const op = await createOperation(db.pool, { id: 'op_result', tenantId: 'default', kind: 'report' });
    const answer = operationResult(op, { location: '/api/operations/op_result', retryAfterS: 5 });
    assert.equal(answer.status, 202);
    assert.deepEqual(answer.headers, { Location: '/api/operations/op_result', 'Retry-After': '5' });
    assert.equal(answer.body.id, 'op_result');
  });

  test('finished operations are reaped after the retention; running ones stay', async () => {
    const done = await startReport();
    const running = await startReport();
    await updateOperation(db.pool, done, { status: 'succeeded' });
    await db.pool.query(`UPDATE operations SET finished_at = now() - interval '8 days' WHERE id = $1`, [
      done,
    ]);
    assert.equal(await reapOperations(db.pool, 7 * 86_400), 1);
    assert.equal(await findOperation(db.pool, done, ALL_TENANTS), undefined);
    assert.ok(await findOperation(db.pool, running, ALL_TENANTS));
    assert.equal(
      await findOperation(db.pool, running, 'another-tenant'),
      undefined,
      'a tenant sees only its own',
    );
    assert.throws(() => tenantParam(''), /tenant scope/);
  });

  test('forgot the migration: the app does not start, and says which one', async () => {
    const empty = await createTestDatabase({ template: 'template0' });
    const broken = await buildApp(empty.pool);
    try {
      await assert.rejects(async () => broken.ready(), {
        name: 'MigrationError',
        message: /missing migration operations\/0001_operations.*operationsMigrations/,
      });
    } finally {
      await broken.close();
      await empty.close();
    }
  });
});
