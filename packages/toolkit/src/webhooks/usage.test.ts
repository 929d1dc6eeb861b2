/** Usage of @steadfast/toolkit/webhooks on a bare Fastify app: signed intake, deduplication, the inbox processor. */
import assert from 'node:assert/strict';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { createBackgroundErrors, createHttpMetrics, createLogger } from '@steadfast/toolkit/observability';
import { migrate, type Pool } from '@steadfast/toolkit/postgres';
import { coreProblems, createProblemRegistry, problems } from '@steadfast/toolkit/problems';
import { createTestDatabase, eventually, type TestDatabase } from '@steadfast/toolkit/testing';
import {
  createInboxProcessor,
  createWebhookMetrics,
  createWebhookVerifier,
  type InboxRow,
  registerWebhookIntake,
  type WebhookMetrics,
  webhookProblems,
  webhooksMigrations,
} from '@steadfast/toolkit/webhooks';
import Fastify, { type FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';

// docs:start intake
async function buildApp(pool: Pool, metrics: WebhookMetrics, secrets: string[]): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(problems, { registry: createProblemRegistry(coreProblems, webhookProblems) });
  await registerWebhookIntake(app, {
    source: 'billing', // deliveries are unique per source + webhook-id
    path: '/webhooks/billing',
    verifier: createWebhookVerifier(secrets), // whsec_… secrets; several during a rotation
    db: pool,
    newId: () => randomUUID(),
    clock: { now: () => Date.now() },
    metrics,
  });
  return app;
}
// docs:end intake

const secret = `whsec_${randomBytes(24).toString('base64')}`;
const previousSecret = `whsec_${randomBytes(24).toString('base64')}`;
const metrics = createWebhookMetrics(createHttpMetrics().registry);
let db: TestDatabase;
let app: FastifyInstance;

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...webhooksMigrations]);
  app = await buildApp(db.pool, metrics, [secret, previousSecret]);
  await app.ready();
});
after(async () => {
  await app?.close();
  await db?.close();
});

/** what the sender does: Standard Webhooks headers over the exact body */
function signedHeaders(body: string, options: { id?: string; at?: Date; key?: string } = {}) {
  const id = options.id ?? `msg_${randomUUID()}`;
  const at = options.at ?? new Date();
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(options.key ?? secret).sign(id, at, body),
  };
}

/** Standard Webhooks over exact bytes (HMAC-SHA256 of `id.timestamp.` + body, key = the secret's base64) */
function signedBytes(body: Buffer, options: { id?: string; key?: string } = {}) {
  const id = options.id ?? `msg_${randomUUID()}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const key = Buffer.from((options.key ?? secret).slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
  };
}
const deliverBytes = (body: Buffer, headers: Record<string, string>) =>
  app.inject({ method: 'POST', url: '/webhooks/billing', headers, payload: body });
const deliver = (body: string, headers: Record<string, string>) =>
  app.inject({ method: 'POST', url: '/webhooks/billing', headers, payload: body });

const rowsOf = async (webhookId: string) =>
  (
    await db.pool.query('SELECT status, reason, event_type FROM webhook_inbox WHERE webhook_id = $1', [
      webhookId,
    ])
  ).rows;

const countRows = async () => (await db.pool.query('SELECT count(*)::int AS n FROM webhook_inbox')).rows[0].n;

describe('webhooks', () => {
  test('a correctly signed delivery is stored once; a duplicate is answered 200 with no new row', async () => {
    const body = JSON.stringify({ type: 'invoice.paid', data: { invoiceId: 'inv_1' } });
    const headers = signedHeaders(body, { id: 'msg_1' });
    const first = await deliver(body, headers);
    assert.equal(first.statusCode, 200);
    assert.deepEqual(await rowsOf('msg_1'), [
      { status: 'received', reason: null, event_type: 'invoice.paid' },
    ]);

    const again = await deliver(body, headers);
    assert.equal(again.statusCode, 200);
    assert.equal((await rowsOf('msg_1')).length, 1);
    assert.equal((await metrics.duplicated.get()).values[0]?.value, 1);
  });

  test('a delivery signed with the previous secret is accepted during a rotation', async () => {
    const body = JSON.stringify({ type: 'invoice.paid' });
    const response = await deliver(body, signedHeaders(body, { id: 'msg_rotated', key: previousSecret }));
    assert.equal(response.statusCode, 200);
    assert.equal((await rowsOf('msg_rotated')).length, 1);
  });

  test('a forged, stale or unsigned delivery gets a 401 problem and nothing is stored', async () => {
    const stored = await countRows();
    const body = JSON.stringify({ type: 'invoice.paid' });
    const forgedKey = `whsec_${randomBytes(24).toString('base64')}`;
    const forged = await deliver(body, signedHeaders(body, { key: forgedKey }));
    assert.equal(forged.statusCode, 401);
    assert.match(String(forged.headers['content-type']), /^application\/problem\+json/);
    assert.equal(forged.json().type, '/problems/webhook-signature-invalid');

    const tampered = await deliver(JSON.stringify({ type: 'invoice.refunded' }), signedHeaders(body));
    assert.equal(tampered.json().type, '/problems/webhook-signature-invalid');

    const stale = await deliver(body, signedHeaders(body, { at: new Date(Date.now() - 10 * 60_000) }));
    assert.equal(stale.statusCode, 401);
    assert.equal(stale.json().type, '/problems/webhook-timestamp-out-of-tolerance');

    const unsigned = await deliver(body, { 'content-type': 'application/json' });
    assert.equal(unsigned.statusCode, 401);
    assert.equal(await countRows(), stored);
    const reasons = (await metrics.rejected.get()).values.map((v) => [v.labels.reason, v.value]);
    assert.deepEqual(reasons.sort(), [
      ['headers-missing', 1],
      ['signature-invalid', 2],
      ['timestamp-out-of-tolerance', 1],
    ]);
  });

  test('a signed body that is not JSON is a 400 problem, kept as failed for inspection', async () => {
    const response = await deliver('not json', signedHeaders('not json', { id: 'msg_garbled' }));
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().type, '/problems/webhook-payload-invalid');
    assert.deepEqual(await rowsOf('msg_garbled'), [
      { status: 'failed', reason: 'unparseable body', event_type: null },
    ]);
  });

  test('the signature covers the exact bytes: invalid UTF-8 signed as bytes verifies, signed as decoded text does not', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"type":"invoice.paid","note":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    const decodedThenSigned = signedBytes(Buffer.from(bytes.toString('utf8')), { id: 'msg_lossy' });
    const lossy = await deliverBytes(bytes, decodedThenSigned);
    assert.equal(lossy.statusCode, 401);
    assert.equal(lossy.json().type, '/problems/webhook-signature-invalid');
    const exact = await deliverBytes(bytes, signedBytes(bytes, { id: 'msg_bad_utf8' }));
    assert.equal(exact.statusCode, 400);
    assert.equal(exact.json().type, '/problems/webhook-payload-invalid');
    assert.deepEqual(await rowsOf('msg_bad_utf8'), [
      { status: 'failed', reason: 'body is not valid UTF-8', event_type: null },
    ]);
    const stored = await db.pool.query('SELECT raw_body, payload FROM webhook_inbox WHERE webhook_id = $1', [
      'msg_bad_utf8',
    ]);
    assert.ok(stored.rows[0].raw_body.equals(bytes), 'the raw bytes are kept as sent');
    assert.equal(stored.rows[0].payload, null);
  });

  test('signed bodies that cannot be stored as JSON are kept as failed with the reason, never a 500', async () => {
    const cases: { id: string; body: Buffer; reason: RegExp }[] = [
      { id: 'msg_nul_byte', body: Buffer.from('{"type":"x","n":"a\u0000b"}'), reason: /^unparseable body$/ },
      {
        id: 'msg_nul_escape',
        body: Buffer.from('{"type":"x","note":"a\\u0000b"}'),
        reason: /^body \/note contains U\+0000/,
      },
      {
        id: 'msg_nul_key',
        body: Buffer.from('{"type":"x","a\\u0000":1}'),
        reason: /^body \/a\ufffd its member name contains U\+0000/,
      },
      { id: 'msg_high', body: Buffer.from('{"type":"x","note":"\\ud800"}'), reason: /lone surrogate/ },
      { id: 'msg_low', body: Buffer.from('{"type":"x","note":"\\udfff"}'), reason: /lone surrogate/ },
      {
        id: 'msg_deep',
        body: Buffer.from(`${'['.repeat(5_000)}${']'.repeat(5_000)}`),
        reason: /nests deeper than 32 levels/,
      },
    ];
    for (const c of cases) {
      const response = await deliverBytes(c.body, signedBytes(c.body, { id: c.id }));
      assert.equal(response.statusCode, 400, `${c.id}: ${response.body}`);
      assert.equal(response.json().type, '/problems/webhook-payload-invalid', c.id);
      assert.equal(response.json().retryable, false);
      const [row] = await rowsOf(c.id);
      assert.equal(row.status, 'failed', c.id);
      assert.match(row.reason, c.reason, c.id);
    }
    const nulByte = await db.pool.query(
      `SELECT position('\\x00'::bytea IN raw_body) > 0 AS has FROM webhook_inbox WHERE webhook_id = 'msg_nul_byte'`,
    );
    assert.equal(nulByte.rows[0].has, true, 'the NUL byte is stored in raw_body');
  });

  test('a body over the limit is 413, an unusable webhook-id 400, a missing one 401; nothing stored', async () => {
    const stored = await countRows();
    const huge = Buffer.alloc(300 * 1024, 'a');
    const tooLarge = await deliverBytes(huge, signedBytes(huge));
    assert.equal(tooLarge.statusCode, 413);
    assert.equal(tooLarge.json().type, '/problems/payload-too-large');
    const body = Buffer.from('{"type":"invoice.paid"}');
    for (const id of ['m'.repeat(256), 'msg with spaces', 'msg_\u00e9']) {
      const response = await deliverBytes(body, signedBytes(body, { id }));
      assert.equal(response.statusCode, 400, response.body);
      assert.equal(response.json().type, '/problems/webhook-id-invalid');
      assert.equal(response.json().retryable, false);
    }
    const { 'webhook-id': _, ...noId } = signedBytes(body);
    const missing = await deliverBytes(body, noId);
    assert.equal(missing.statusCode, 401);
    assert.equal(await countRows(), stored);
  });

  test('the inbox processor hands stored deliveries to the handler and records the outcome', async (t) => {
    const pool = db.pool;
    const paid: unknown[] = [];
    // docs:start processor
    const log = createLogger();
    const inbox = createInboxProcessor({
      db: pool,
      log,
      errors: createBackgroundErrors({ log }),
      metrics, // the same WebhookMetrics as the intake's
      // at least once, in any order: treat the event as a hint, apply only forward changes
      handle: async (row) => {
        if (row.eventType !== 'invoice.paid') return { status: 'ignored', reason: `type ${row.eventType}` };
        paid.push(row.payload);
        return { status: 'processed' };
      },
    });
    await inbox.start(); // checks webhooksMigrations, then polls for received rows
    // on shutdown: await inbox.stop();
    // docs:end processor
    t.after(() => inbox.stop());

    const body = JSON.stringify({ type: 'invoice.voided' });
    assert.equal((await deliver(body, signedHeaders(body, { id: 'msg_voided' }))).statusCode, 200);
    await eventually(async () => (await rowsOf('msg_voided'))[0].status !== 'received');
    await eventually(async () => (await rowsOf('msg_1'))[0].status !== 'received');
    assert.deepEqual(await rowsOf('msg_voided'), [
      { status: 'ignored', reason: 'type invoice.voided', event_type: 'invoice.voided' },
    ]);
    assert.equal((await rowsOf('msg_1'))[0].status, 'processed');
    const expected = { type: 'invoice.paid', data: { invoiceId: 'inv_1' } };
    assert.ok(paid.some((payload) => isDeepStrictEqual(payload, expected)));
  });

  test('a handler that keeps failing is retried, then the row is failed and handed to onFailed', async () => {
    const body = JSON.stringify({ type: 'invoice.paid' });
    assert.equal((await deliver(body, signedHeaders(body, { id: 'msg_poison' }))).statusCode, 200);
    const failed: InboxRow[] = [];
    const log = createLogger({ level: 'silent' });
    const inbox = createInboxProcessor({
      db: db.pool,
      log,
      errors: createBackgroundErrors({ log }),
      metrics,
      handle: async () => {
        throw new Error('partner API down');
      },
      onFailed: async (row) => void failed.push(row),
      maxAttempts: 2,
      random: () => 0, // no backoff pause: each runOnce() is the next attempt
    });
    assert.equal(await inbox.runOnce(), 1);
    assert.deepEqual(await rowsOf('msg_poison'), [
      { status: 'received', reason: 'partner API down', event_type: 'invoice.paid' },
    ]);
    assert.equal(await inbox.runOnce(), 1);
    assert.equal(await inbox.runOnce(), 0);
    assert.deepEqual(await rowsOf('msg_poison'), [
      { status: 'failed', reason: 'partner API down', event_type: 'invoice.paid' },
    ]);
    assert.deepEqual(
      failed.map((r) => [r.webhookId, r.attempts]),
      [['msg_poison', 2]],
    );
  });

  test('forgot the migration: the app and the processor do not start, and say which one', async () => {
    const empty = await createTestDatabase({ template: 'template0' });
    const broken = await buildApp(empty.pool, createWebhookMetrics(createHttpMetrics().registry), [secret]);
    const expected = { name: 'MigrationError', message: /missing migration webhooks\/0001_webhook_inbox/ };
    try {
      await assert.rejects(async () => broken.ready(), expected);
      const log = createLogger({ level: 'silent' });
      const inbox = createInboxProcessor({
        db: empty.pool,
        log,
        errors: createBackgroundErrors({ log }),
        metrics,
        handle: async () => ({ status: 'processed' }),
      });
      await assert.rejects(inbox.start(), expected);
    } finally {
      await broken.close();
      await empty.close();
    }
  });
});
