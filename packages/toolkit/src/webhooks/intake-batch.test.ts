/**
 * Group commit of webhook intake on real Postgres: concurrent deliveries are
 * stored by one INSERT, each still answered as if alone. The batch is made
 * deterministic with a blocker: a delivery whose row waits on a lock the test
 * holds occupies the only statement slot (`maxInFlight: 1`), so the deliveries
 * sent next queue and leave together.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
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
import {
  createWebhookMetrics,
  createWebhookVerifier,
  registerWebhookIntake,
  webhookProblems,
  webhooksMigrations,
} from '@steadfast/toolkit/webhooks';
import Fastify, { type FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';

const secret = `whsec_${randomBytes(24).toString('base64')}`;
let db: TestDatabase;
let app: FastifyInstance;
let held: HeldRowLock | undefined;
const reported: string[] = [];
const metrics = createWebhookMetrics(createHttpMetrics().registry);

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...webhooksMigrations]);
  // a row the database refuses, to prove one bad row does not fail its batch neighbours
  await db.pool.query(
    `ALTER TABLE webhook_inbox ADD CONSTRAINT no_poison CHECK (event_type IS DISTINCT FROM 'poison')`,
  );
  app = Fastify();
  app.addHook('preHandler', async () => {
    handled++;
  });
  await app.register(problems, { registry: createProblemRegistry(coreProblems, webhookProblems) });
  await registerWebhookIntake(app, {
    source: 'billing',
    path: '/webhooks/billing',
    verifier: createWebhookVerifier([secret]),
    db: db.pool,
    newId: () => randomUUID(),
    clock: { now: () => Date.now() },
    metrics,
    coalesce: { maxInFlight: 1 },
    errors: { report: (component) => reported.push(component) },
  });
  await app.ready();
});
afterEach(async () => {
  await held?.release();
  held = undefined;
  reported.length = 0;
  handled = 0;
  await db.pool.query('TRUNCATE webhook_inbox');
});
after(async () => {
  await app?.close();
  await db?.close();
});

function deliver(id: string, type: string) {
  const body = JSON.stringify({ type, data: { id } });
  const at = new Date();
  return app.inject({
    method: 'POST',
    url: '/webhooks/billing',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, at, body),
    },
    payload: body,
  });
}

/** a delivery whose row waits on the test's uncommitted row with the same webhook-id */
async function block() {
  const lock = await holdRowLock(
    db.pool,
    `INSERT INTO webhook_inbox (id, source, webhook_id, raw_body, headers, status) VALUES ('held', 'billing', 'blocker', '', '{}', 'received')`,
  );
  held = lock;
  const blocked = deliver('blocker', 'charge.succeeded');
  await lock.waiters(1);
  return { blocked, release: lock.release };
}

/**
 * Until the deliveries sent reached the writer: their handlers run right after their preHandler
 * (in microtasks, synchronously up to the queued INSERT), so one turn after the last preHandler
 * they are all queued.
 */
let handled = 0;
async function queued(n: number) {
  await eventually(() => handled === n);
  await new Promise((resolve) => setImmediate(resolve));
}

describe('webhook intake: group commit', () => {
  test('queued deliveries are stored by one INSERT; a duplicate inside the batch is stored once', async () => {
    const duplicated = (await metrics.duplicated.get()).values.reduce((n, v) => n + v.value, 0);
    const blocker = await block();
    const sent = [
      deliver('msg-a', 'charge.succeeded'),
      deliver('msg-b', 'charge.failed'),
      deliver('msg-a', 'charge.succeeded'),
      deliver('msg-c', 'charge.succeeded'),
    ];
    await queued(5);
    await blocker.release();
    assert.equal((await blocker.blocked).statusCode, 200);
    const answers = await Promise.all(sent);
    assert.deepEqual(
      answers.map((a) => a.statusCode),
      [200, 200, 200, 200],
    );
    const { rows } = await db.pool.query(
      `SELECT webhook_id, event_type, convert_from(raw_body, 'utf8') AS raw, payload FROM webhook_inbox ORDER BY webhook_id`,
    );
    assert.deepEqual(
      rows.map((r) => [r.webhook_id, r.event_type]),
      [
        ['blocker', 'charge.succeeded'],
        ['msg-a', 'charge.succeeded'],
        ['msg-b', 'charge.failed'],
        ['msg-c', 'charge.succeeded'],
      ],
    );
    for (const r of rows) {
      assert.deepEqual(JSON.parse(r.raw), r.payload, 'raw bytes and payload are the delivery’s own');
      assert.equal(r.payload.data.id, r.webhook_id);
    }
    const { rows: transactions } = await db.pool.query(
      `SELECT count(DISTINCT xmin::text)::int AS n FROM webhook_inbox WHERE webhook_id LIKE 'msg-%'`,
    );
    assert.equal(
      transactions[0].n,
      1,
      'the queued deliveries were written by one statement (one transaction)',
    );
    const after = (await metrics.duplicated.get()).values.reduce((n, v) => n + v.value, 0);
    assert.equal(after - duplicated, 1, 'the second msg-a counted as a duplicate');
    assert.deepEqual(reported, [], 'the batch handled its duplicate itself');
  });

  test('a row the database refuses fails alone: the batch is retried delivery by delivery', async () => {
    const blocker = await block();
    const sent = [
      deliver('ok-1', 'charge.succeeded'),
      deliver('bad', 'poison'),
      deliver('ok-2', 'charge.failed'),
    ];
    await queued(4);
    await blocker.release();
    await blocker.blocked;
    const answers = await Promise.all(sent);
    assert.deepEqual(
      answers.map((a) => a.statusCode),
      [200, 500, 200],
    );
    assert.equal(answers[1].headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.deepEqual(reported, ['webhook-intake-batch']);
    const { rows } = await db.pool.query(`SELECT webhook_id FROM webhook_inbox ORDER BY webhook_id`);
    assert.deepEqual(
      rows.map((r) => r.webhook_id),
      ['blocker', 'ok-1', 'ok-2'],
    );
  });
});
