/**
 * The web and worker roles through PgBouncer in transaction pooling mode (Debian's
 * 1.18: no named prepared statements across transactions), with LISTEN/NOTIFY,
 * migration locks and graphile-worker on the direct connection. Runs whenever the
 * `pgbouncer` binary exists (skipped otherwise; `.ci/run` installs it).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import {
  assertDirectConnection,
  createPool,
  DirectConnectionError,
  directPool,
} from '@steadfast/toolkit/postgres';
import {
  adminUrl,
  createTestDatabase,
  eventually,
  findPgBouncer,
  type PgBouncer,
  startPgBouncer,
} from '@steadfast/toolkit/testing';
import { makeHome, runCli } from './runtime/spawn-cli.ts';
import { buildTestApp, createTestWorker, signedWebhookHeaders, type TestApp } from './testing.ts';

const SECRET = `whsec_${Buffer.from('a-secret-of-thirty-two-bytes-1234').toString('base64')}`;

describe('through PgBouncer (transaction pooling)', {
  skip: findPgBouncer() ? false : 'pgbouncer is not installed',
}, () => {
  let bouncer: PgBouncer;
  let sandbox: RunningSandbox;
  let app: TestApp;
  let worker: ReturnType<typeof createTestWorker>;

  before(async () => {
    bouncer = await startPgBouncer({ serverUrl: adminUrl(), poolSize: 4 });
    sandbox = await startSandbox({ chargeProcessingMs: 0 });
  });
  after(async () => {
    await sandbox?.close();
    await bouncer?.stop();
  });
  beforeEach(async () => {
    await sandbox.reset();
    const database = await createTestDatabase({ pgbouncer: bouncer });
    app = await buildTestApp({
      database,
      partners: { urls: sandbox.urls, tuning: { pricing: { freshMs: 0 } } },
      webhooks: { secrets: [SECRET] },
    });
    worker = createTestWorker(app, { jobMaxAttempts: 8 });
  });
  afterEach(async () => {
    await worker.stop();
    await app.close();
  });

  test('the harness really pools per transaction: named statements break, the app pool drops their names', async () => {
    assert.ok(app.db.pooledUrl?.includes(`:${bouncer.port}/`), 'the app pool goes through PgBouncer');
    assert.notEqual(directPool(app.db.pool), app.db.pool, 'it has a direct sibling');
    const named = createPool({ connectionString: String(app.db.pooledUrl), statementTimeoutMs: 0, max: 8 });
    try {
      const query = { name: 'probe', text: 'SELECT $1::int AS n', values: [1] };
      // many clients, few server connections: a client's second use lands on a server that never parsed it
      const runs = await Promise.allSettled(
        Array.from({ length: 8 }, async () => {
          const client = await named.connect();
          try {
            for (let i = 0; i < 5; i++) await client.query(query);
          } finally {
            client.release();
          }
        }),
      );
      assert.ok(
        runs.some((r) => r.status === 'rejected' && /prepared statement/.test(String(r.reason))),
        'named statements fail through PgBouncer 1.18 in transaction mode',
      );
    } finally {
      await named.end();
    }
    const unnamed = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        app.db.pool.query({ name: 'probe', text: 'SELECT $1::int AS n', values: [i] }),
      ),
    );
    assert.deepEqual(
      unnamed.map((r) => r.rows[0].n),
      Array.from({ length: 20 }, (_, i) => i),
    );
  });

  test('create and replay: idempotency keys (named statements on the hot path) hold through the pooler', async () => {
    const keys = Array.from({ length: 12 }, () => randomUUID());
    const create = (key: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/orders',
        idempotencyKey: key,
        payload: { currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1 }] },
      });
    const first = await Promise.all(keys.map(create));
    const again = await Promise.all(keys.map(create));
    for (let i = 0; i < keys.length; i++) {
      assert.equal(first[i].statusCode, 201, first[i].body);
      assert.equal(again[i].statusCode, 201);
      assert.equal(again[i].headers['idempotent-replayed'], 'true');
      assert.equal(again[i].json().id, first[i].json().id);
    }
    const { rows } = await app.db.pool.query('SELECT count(*)::int AS n FROM orders');
    assert.equal(rows[0].n, keys.length);
  });

  test('pay through the worker; a Prefer: wait already waiting is woken by NOTIFY on the direct connection', async () => {
    const order = (
      await app.inject({
        method: 'POST',
        url: '/v1/orders',
        payload: { currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1 }] },
      })
    ).json();
    await app.inject({ method: 'POST', url: `/v1/orders/${order.id}/submit` });
    await app.inject({ method: 'POST', url: `/v1/orders/${order.id}/approve` });
    const accepted = await app.inject({ method: 'POST', url: `/v1/orders/${order.id}/pay` });
    assert.equal(accepted.statusCode, 202, accepted.body);
    // the worker is not running yet: the answer can only come from a notification
    const waiting = app.inject({
      method: 'GET',
      url: `/v1/operations/${accepted.json().id}`,
      headers: { prefer: 'wait=25' },
    });
    const direct = directPool(app.db.pool);
    await eventually(async () => {
      const { rows } = await direct.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'`,
      );
      return rows.length > 0;
    });
    await worker.start();
    const op = (await waiting).json();
    assert.equal(op.status, 'succeeded', JSON.stringify(op));
    const paid = (await app.inject({ method: 'GET', url: `/v1/orders/${order.id}` })).json();
    assert.equal(paid.status, 'paid');
    const ledger = (await (await fetch(`${sandbox.base}/payments/ledger`)).json()) as { data: unknown[] };
    assert.equal(ledger.data.length, 1, 'one charge');
    // what Postgres sees (docs/production.md, sizing): PgBouncer's server connections, at most its
    // default_pool_size (4 here), plus the direct ones (LISTEN, graphile-worker), at most the direct pool's 10
    const { rows } = await direct.query<{ direct: boolean; n: number }>(
      `SELECT application_name LIKE '%-direct' AS direct, count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() GROUP BY 1`,
    );
    const seen = (isDirect: boolean) => rows.find((r) => r.direct === isDirect)?.n ?? 0;
    assert.ok(seen(false) <= 4, `pooled server connections: ${JSON.stringify(rows)}`);
    assert.ok(seen(true) >= 2 && seen(true) <= 10, `direct connections: ${JSON.stringify(rows)}`);
  });

  test('webhook intake stores once and the inbox processor (worker role) handles it', async () => {
    await worker.start();
    const body = JSON.stringify({
      id: `evt_${randomUUID()}`,
      type: 'charge.succeeded',
      createdAt: new Date().toISOString(),
      data: { charge: { id: 'ch_unknown', status: 'succeeded' } },
    });
    const headers = { 'content-type': 'application/json', ...signedWebhookHeaders(SECRET, body) };
    const deliver = () =>
      app.inject({ method: 'POST', url: '/webhooks/payments', apiKey: null, headers, payload: body });
    assert.equal((await deliver()).statusCode, 200);
    assert.equal((await deliver()).statusCode, 200, 'a duplicate is answered too');
    const rows = await eventually(async () => {
      const { rows } = await app.db.pool.query('SELECT status FROM webhook_inbox');
      return rows.length === 1 && rows[0].status !== 'received' && rows;
    });
    assert.equal(rows.length, 1, 'stored once');
  });

  test('a DATABASE_DIRECT_URL that is the pooler fails the start naming it; a direct one migrates through it', async () => {
    const pooled = String(app.db.pooledUrl);
    const notDirect = createPool({ connectionString: pooled, statementTimeoutMs: 0, max: 2 });
    try {
      await assert.rejects(assertDirectConnection(notDirect, { timeoutMs: 1000 }), DirectConnectionError);
    } finally {
      await notDirect.end();
    }
    const home = makeHome();
    try {
      // the same pooler under another spelling: not the same URL, not direct
      const bad = await runCli(['migrate'], {
        STEADFAST_HOME: home,
        DATABASE_URL: pooled,
        DATABASE_DIRECT_URL: pooled.replace(/^postgres:/, 'postgresql:'),
      });
      assert.equal(bad.code, 1, bad.stderr);
      assert.match(
        bad.stderr,
        /^steadfast: bad configuration: DATABASE_DIRECT_URL: is not a direct connection/,
      );
      assert.equal(bad.stderr.trimEnd().split('\n').length, 1, bad.stderr);
      const pooledOnly = await runCli(['migrate'], { STEADFAST_HOME: home, DATABASE_URL: pooled });
      assert.equal(pooledOnly.code, 1);
      assert.match(pooledOnly.stderr, /DATABASE_URL: is not a direct connection.*set DATABASE_DIRECT_URL/);
      const good = await runCli(['migrate'], {
        STEADFAST_HOME: home,
        DATABASE_URL: pooled,
        DATABASE_DIRECT_URL: app.db.url,
      });
      assert.equal(good.code, 0, good.stderr);
      assert.deepEqual(JSON.parse(good.stdout), { applied: [] });
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
