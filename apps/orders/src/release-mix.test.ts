/**
 * A rolling deploy, frozen in the middle: the previous release's web role
 * (taken from git, run as a child process) and this one (in process) on ONE
 * Postgres, which this release migrated. Clients of the old and the new API
 * version write and read through both; an idempotent retry lands on the other
 * release. No 5xx, every answer valid for its client's contract (the previous
 * release's answers against its own document, ours against ours), nothing lost
 * or doubled.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type RunningSandbox, startSandbox } from '@steadfast/sandbox';
import { createLogger } from '@steadfast/toolkit/observability';
import { type ContractChecker, createContractChecker, freePort } from '@steadfast/toolkit/testing';
import { Registry } from 'prom-client';
import { createOrderCustomerBackfill } from './jobs/backfill-order-customer.ts';
import { buildTestApp, type TestApp } from './testing.ts';
import {
  checkoutRelease,
  hasCommit,
  type ReleaseCheckout,
  type RunningRelease,
  startReleaseWeb,
} from './testing-release.ts';

/** the release before the API change (the integrator moves it to the last commit before the switch) */
const PREVIOUS_RELEASE = 'b935f4eb0f03ed4ebc04b727152e70d6b7279b57';

type ReleaseName = 'previous' | 'new';
type Json = Record<string, unknown>;

/** What each client sends and reads, and which releases it may land on. */
interface Client {
  name: string;
  headers: Record<string, string>;
  /** which document of the NEW release its answers are checked against (the previous release has one) */
  docQuery: string;
  body(email: string): Json;
  email(order: Json): unknown;
  releases: ReleaseName[];
}
const CLIENTS: Client[] = [
  {
    // a client written before versions existed: no header; its tenant was never pinned (the first version)
    name: 'old-version',
    headers: {},
    docQuery: '?version=2026-06-01',
    body: (email) => ({ customerEmail: email }),
    email: (o) => o.customerEmail,
    releases: ['previous', 'new'],
  },
  {
    name: 'new-version',
    headers: { 'steadfast-version': '2026-12-01' },
    docQuery: '?version=2026-12-01',
    body: (email) => ({ customer: { email } }),
    email: (o) => (o.customer as Json | null)?.email ?? null,
    // the previous release does not know that version: no client is sent there with it
    releases: ['new'],
  },
];

const skip =
  !hasCommit(PREVIOUS_RELEASE) &&
  `commit ${PREVIOUS_RELEASE.slice(0, 12)} is not in this clone (shallow?): the previous release cannot be checked out`;

describe('two releases side by side on one Postgres', { skip }, () => {
  let sandbox: RunningSandbox;
  let app: TestApp;
  let checkout: ReleaseCheckout | undefined;
  let previous: RunningRelease | undefined;
  const urls = {} as Record<ReleaseName, string>;
  const checkers = new Map<string, ContractChecker>();
  const problems: string[] = []; // 5xx and contract violations, wherever they happen
  const created = new Set<string>();
  const keys = new Set<string>(); // Idempotency-Keys of creates answered 201

  before(async () => {
    sandbox = await startSandbox();
    app = await buildTestApp({ partners: { urls: sandbox.urls } });
    urls.new = (await app.server.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
    checkout = checkoutRelease(PREVIOUS_RELEASE);
    previous = await startReleaseWeb(checkout, {
      port: await freePort(),
      env: { DATABASE_URL: app.db.url },
      partners: sandbox.urls,
    });
    urls.previous = previous.url;
  });

  after(async () => {
    const steps = [
      () => previous?.stop(),
      () => app?.close(),
      () => sandbox?.close(),
      () => checkout?.remove(),
    ];
    const failures: unknown[] = [];
    for (const step of steps)
      await Promise.resolve()
        .then(step)
        .catch((error) => failures.push(error));
    if (failures.length) throw failures[0];
  });

  const documentOf = async (release: ReleaseName, query = '') =>
    (await (await fetch(`${urls[release]}/openapi.json${release === 'new' ? query : ''}`)).json()) as Json;

  async function checkerFor(release: ReleaseName, client: Client): Promise<ContractChecker> {
    const key = release === 'previous' ? 'previous' : `new${client.docQuery}`;
    let checker = checkers.get(key);
    if (!checker) {
      checker = await createContractChecker(await documentOf(release, client.docQuery));
      checkers.set(key, checker);
    }
    return checker;
  }

  /** one HTTP call of `client` to `release`; 5xx and contract violations are collected in `problems` */
  async function call(
    release: ReleaseName,
    client: Client,
    method: string,
    url: string,
    options: { body?: Json; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = {
      authorization: `Bearer ${app.tenant.apiKey}`,
      ...client.headers,
      ...options.headers,
    };
    if (options.body) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${urls[release]}${url}`, {
      method,
      headers,
      body: options.body && JSON.stringify(options.body),
    });
    const text = await response.text();
    const where = `${client.name} → ${release}: ${method} ${url} → ${response.status}`;
    if (response.status >= 500) problems.push(`${where} ${text}`);
    const checker = await checkerFor(release, client);
    for (const violation of checker.check({
      method,
      path: url,
      status: response.status,
      contentType: response.headers.get('content-type') ?? undefined,
      body: text,
    }))
      problems.push(`${where}: ${violation}`);
    return {
      status: response.status,
      headers: response.headers,
      json: (text ? JSON.parse(text) : {}) as Json,
    };
  }

  const ITEMS = [{ sku: 'MIX-1', quantity: 2 }];

  async function createThrough(release: ReleaseName, client: Client, email: string, key = randomUUID()) {
    const answer = await call(release, client, 'POST', '/v1/orders', {
      body: { currency: 'EUR', items: ITEMS, ...client.body(email) },
      headers: { 'idempotency-key': key },
    });
    assert.equal(answer.status, 201, JSON.stringify(answer.json));
    created.add(String(answer.json.id));
    keys.add(key);
    return answer;
  }

  test('the previous release really runs the previous code', async () => {
    const migration = path.join(checkout!.dir, 'apps', 'orders', 'migrations', '0005_order_customer.sql');
    const [client] = CLIENTS;
    if (!fs.existsSync(migration)) {
      // before the expand step: what it writes has customer_email alone, what we write has both
      const old = await createThrough('previous', client, 'marker-old@example.com');
      const ours = await createThrough('new', client, 'marker-new@example.com');
      const { rows } = await app.db.pool.query(
        'SELECT id, customer FROM orders WHERE id = ANY($1::text[]) ORDER BY customer NULLS FIRST',
        [[old.json.id, ours.json.id]],
      );
      assert.deepEqual(rows, [
        { id: old.json.id, customer: null },
        { id: ours.json.id, customer: { email: 'marker-new@example.com', name: null } },
      ]);
    } else {
      // before the API switch: an order in its document has no `customer`, in ours it has
      assert.equal(JSON.stringify(await documentOf('previous')).includes('"customer"'), false);
      assert.equal(JSON.stringify(await documentOf('new')).includes('"customer"'), true);
    }
  });

  test('clients of both versions create, read, edit and move orders through both releases', async () => {
    const flows = CLIENTS.flatMap((client) =>
      client.releases.flatMap((writer) => client.releases.map((reader) => ({ client, writer, reader }))),
    );
    await Promise.all(
      flows.map(async ({ client, writer, reader }) => {
        const email = `${client.name}.${writer}.${reader}@example.com`;
        const order = (await createThrough(writer, client, email)).json;
        const url = `/v1/orders/${order.id}`;
        const read = await call(reader, client, 'GET', url);
        assert.equal(read.status, 200);
        assert.equal(client.email(read.json), email, `${writer} wrote, ${reader} read`);
        const edited = `edited.${email}`;
        const patch = await call(reader, client, 'PATCH', url, {
          body: client.body(edited),
          headers: { 'content-type': 'application/merge-patch+json', 'if-match': read.headers.get('etag')! },
        });
        assert.equal(patch.status, 200, JSON.stringify(patch.json));
        const reread = await call(writer, client, 'GET', url);
        assert.equal(client.email(reread.json), edited, `${reader} edited, ${writer} read`);
        assert.equal(reread.headers.get('etag'), patch.headers.get('etag'));
        const key = { 'idempotency-key': randomUUID() };
        assert.equal((await call(reader, client, 'POST', `${url}/submit`, { headers: key })).status, 200);
        const approved = await call(writer, client, 'POST', `${url}/approve`, {
          headers: { 'idempotency-key': randomUUID() },
        });
        assert.equal(approved.status, 200);
        assert.equal(approved.json.status, 'approved');
        assert.equal(client.email(approved.json), edited);
        for (const release of client.releases) {
          const list = await call(release, client, 'GET', '/v1/orders?limit=100');
          const listed = (list.json.data as Json[]).find((o) => o.id === order.id);
          assert.equal(listed && client.email(listed), edited, `listed by ${release}`);
        }
      }),
    );
    assert.deepEqual(problems, []);
  });

  test('a retry that lands on the other release gets the stored answer; another body with the key is refused', async () => {
    for (const client of CLIENTS) {
      for (const [first, retry] of [
        ['previous', 'new'],
        ['new', 'previous'],
      ] as const) {
        if (!client.releases.includes(first) || !client.releases.includes(retry)) continue;
        const key = randomUUID();
        const email = `retry.${client.name}.${first}@example.com`;
        const original = await createThrough(first, client, email, key);
        const again = await call(retry, client, 'POST', '/v1/orders', {
          body: { currency: 'EUR', items: ITEMS, ...client.body(email) },
          headers: { 'idempotency-key': key },
        });
        assert.equal(again.status, 201, `${first} then ${retry}: ${JSON.stringify(again.json)}`);
        assert.equal(again.headers.get('idempotent-replayed'), 'true');
        assert.deepEqual(again.json, original.json);
        assert.equal(again.headers.get('location'), `/v1/orders/${original.json.id}`);
        const reused = await call(retry, client, 'POST', '/v1/orders', {
          body: { currency: 'EUR', items: ITEMS, ...client.body(`other.${email}`) },
          headers: { 'idempotency-key': key },
        });
        assert.equal(reused.status, 422);
        assert.equal(reused.json.type, '/problems/idempotency-key-reused');
      }
    }
    assert.deepEqual(problems, []);
  });

  test('after the backfill both releases answer as before; nothing lost or doubled', async () => {
    const before = new Map<string, unknown>();
    for (const id of created)
      before.set(id, CLIENTS[0].email((await call('new', CLIENTS[0], 'GET', `/v1/orders/${id}`)).json));
    const backfill = createOrderCustomerBackfill({
      db: app.db.pool,
      log: createLogger({ level: 'silent' }),
      registry: new Registry(),
    });
    const result = await backfill.run();
    assert.equal(result.remaining, 0);
    assert.ok(result.updated > 0, 'the previous release wrote rows without customer');
    for (const client of CLIENTS)
      for (const release of client.releases)
        for (const [id, email] of before) {
          const read = await call(release, client, 'GET', `/v1/orders/${id}`);
          assert.equal(client.email(read.json), email, `${id} through ${release}`);
        }
    const { rows } = await app.db.pool.query<{ id: string }>(
      'SELECT id FROM orders WHERE tenant_id = $1 ORDER BY id',
      [app.tenant.tenantId],
    );
    assert.deepEqual(
      rows.map((r) => r.id),
      [...created].sort(),
      'every order created is there, once',
    );
    assert.equal(rows.length, keys.size, 'one order per Idempotency-Key, however many releases saw it');
    assert.deepEqual(problems, []);
  });
});
