/** Dated API versions in the Orders API: the same data in three shapes, pins, deprecation, replays, bad input. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, ORDER_BODY, type TestApp } from './testing.ts';

let app: TestApp;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

const V = (version: string) => ({ 'steadfast-version': version });
async function create(headers: Record<string, string>, extra: object) {
  return app.inject({ method: 'POST', url: '/v1/orders', headers, payload: { ...ORDER_BODY, ...extra } });
}

describe('one order, three versions', () => {
  test('created by a new client, read by clients of each version in their own shape', async () => {
    const created = await create(V('2026-12-01'), {
      customer: { email: 'ada@example.com', name: 'Ada Lovelace' },
    });
    assert.equal(created.statusCode, 201);
    assert.equal(created.headers['steadfast-version'], '2026-12-01');
    assert.equal(created.headers.deprecation, undefined, 'the newest version is not deprecated');
    const id = created.json().id;
    const total = created.json().total;
    assert.deepEqual(Object.keys(total), ['amount', 'currency']);
    assert.equal(total.currency, 'EUR');

    const newest = (
      await app.inject({ method: 'GET', url: `/v1/orders/${id}`, headers: V('2026-12-01') })
    ).json();
    assert.deepEqual(newest.customer, { email: 'ada@example.com', name: 'Ada Lovelace' });
    assert.equal('customerEmail' in newest, false);
    assert.equal('totalAmount' in newest, false);

    const september = await app.inject({ method: 'GET', url: `/v1/orders/${id}`, headers: V('2026-09-01') });
    assert.equal(september.headers['steadfast-version'], '2026-09-01');
    assert.equal(september.json().customerEmail, 'ada@example.com');
    assert.equal('customer' in september.json(), false);
    assert.deepEqual(september.json().total, total);

    // no header, never pinned: the first version, deprecated with a sunset
    const first = await app.inject({ method: 'GET', url: `/v1/orders/${id}` });
    assert.equal(first.headers['steadfast-version'], '2026-06-01');
    assert.equal(first.json().customerEmail, 'ada@example.com');
    assert.equal(first.json().totalAmount, total.amount);
    assert.equal('total' in first.json(), false);
    assert.equal(first.headers.deprecation, '@1796083200');
    assert.equal(first.headers.sunset, 'Wed, 01 Dec 2027 00:00:00 GMT');
    assert.equal(first.headers.link, '</versions>; rel="deprecation"');
    const catalogue = (await app.inject({ method: 'GET', url: '/versions', apiKey: null })).json();
    assert.equal(catalogue.newest, '2026-12-01');
    assert.deepEqual(
      catalogue.changelog.map((c: { version: string }) => c.version),
      ['2026-12-01', '2026-09-01', '2026-06-01'],
    );

    const page = (await app.inject({ method: 'GET', url: '/v1/orders', headers: V('2026-06-01') })).json();
    const listed = page.data.find((o: { id: string }) => o.id === id);
    assert.equal(listed.customerEmail, 'ada@example.com');
    assert.equal(listed.totalAmount, total.amount);
  });

  test('an old client writes customerEmail; a patch with null removes the email and keeps a name set by a new client', async () => {
    const created = await create({}, { customerEmail: 'old@example.com' });
    assert.equal(created.statusCode, 201);
    assert.equal(created.json().customerEmail, 'old@example.com');
    const id = created.json().id;
    const named = await app.inject({
      method: 'PATCH',
      url: `/v1/orders/${id}`,
      headers: { ...V('2026-12-01'), 'if-match': '"1"', 'content-type': 'application/merge-patch+json' },
      payload: { customer: { name: 'Grace Hopper' } },
    });
    assert.equal(named.statusCode, 200);
    assert.deepEqual(named.json().customer, { email: 'old@example.com', name: 'Grace Hopper' });
    const cleared = await app.inject({
      method: 'PATCH',
      url: `/v1/orders/${id}`,
      headers: { 'if-match': '"2"', 'content-type': 'application/merge-patch+json' },
      payload: { customerEmail: null },
    });
    assert.equal(cleared.statusCode, 200);
    assert.equal(cleared.json().customerEmail, null);
    const read = (
      await app.inject({ method: 'GET', url: `/v1/orders/${id}`, headers: V('2026-12-01') })
    ).json();
    assert.deepEqual(read.customer, { email: null, name: 'Grace Hopper' });
  });

  test('a validation error is reported at the field the client sent', async () => {
    const old = await create({}, { customerEmail: 'not an email' });
    assert.equal(old.statusCode, 400);
    assert.deepEqual(
      old.json().errors.map((e: { pointer: string }) => e.pointer),
      ['/customerEmail'],
    );
    const fresh = await create(V('2026-12-01'), { customer: { email: 'not an email' } });
    assert.equal(fresh.statusCode, 400);
    assert.deepEqual(
      fresh.json().errors.map((e: { pointer: string }) => e.pointer),
      ['/customer/email'],
    );
    const mixed = await create(V('2026-12-01'), { customerEmail: 'a@example.com' });
    assert.equal(mixed.statusCode, 400, 'the newest version knows no customerEmail');
  });

  test('an idempotent replay answers in the version the first answer was given in', async () => {
    const key = 'versioned-replay-1';
    const first = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { 'idempotency-key': key },
      payload: { ...ORDER_BODY, customerEmail: 'replay@example.com' },
    });
    const again = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { 'idempotency-key': key },
      payload: { ...ORDER_BODY, customerEmail: 'replay@example.com' },
    });
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.body, first.body);
    assert.equal(again.json().customerEmail, 'replay@example.com');
    // stored as the client saw it: what an older release would replay byte for byte
    const { rows } = await app.db.pool.query(
      "SELECT convert_from(response_body, 'UTF8')::jsonb AS body FROM idempotency_keys WHERE key = $1",
      [key],
    );
    assert.equal(rows[0].body.customerEmail, 'replay@example.com');
    assert.equal('customer' in rows[0].body, false);
  });
});

describe('versions: pins and bad input', () => {
  test('unknown, malformed or too old → 400 naming the supported versions; nothing written', async () => {
    for (const version of ['2026-07-01', '2026-13-01', 'yesterday', '2020-01-01', '']) {
      const answer = await create(V(version), {});
      assert.equal(answer.statusCode, 400, version);
      assert.equal(answer.json().type, '/problems/version-unsupported');
      assert.deepEqual(answer.json().supportedVersions, ['2026-06-01', '2026-09-01', '2026-12-01']);
    }
  });

  test('a tenant reads its pin, pins another version, and an unknown one is refused (422)', async () => {
    const tenant = await app.createTenant({ name: 'Pinning' });
    const read = await app.inject({ method: 'GET', url: '/v1/api-version', apiKey: tenant.apiKey });
    assert.equal(read.statusCode, 200);
    assert.deepEqual(
      { version: read.json().version, pinned: read.json().pinned, newest: read.json().newest },
      { version: '2026-06-01', pinned: false, newest: '2026-12-01' },
    );
    const refused = await app.inject({
      method: 'PUT',
      url: '/v1/api-version',
      apiKey: tenant.apiKey,
      payload: { version: '2026-10-01' },
    });
    assert.equal(refused.statusCode, 422);
    assert.equal(refused.json().type, '/problems/api-version-unknown');
    const pinned = await app.inject({
      method: 'PUT',
      url: '/v1/api-version',
      apiKey: tenant.apiKey,
      payload: { version: '2026-12-01' },
    });
    assert.equal(pinned.statusCode, 200);
    assert.equal(pinned.json().pinned, true);
    // from now on, no header means the pinned version
    const created = await app.inject({
      method: 'POST',
      url: '/v1/orders',
      apiKey: tenant.apiKey,
      payload: { ...ORDER_BODY, customer: { email: 'pinned@example.com' } },
    });
    assert.equal(created.statusCode, 201);
    assert.equal(created.headers['steadfast-version'], '2026-12-01');
    assert.deepEqual(created.json().customer, { email: 'pinned@example.com', name: null });
    // another tenant is unaffected
    const other = await create({}, {});
    assert.equal(other.headers['steadfast-version'], '2026-06-01');
    const operator = await app.inject({ method: 'GET', url: '/v1/api-version', apiKey: app.operatorKey });
    assert.equal(operator.statusCode, 403);
  });

  test('each version has its own OpenAPI document; an unknown one is a 400', async () => {
    const first = (
      await app.inject({ method: 'GET', url: '/openapi.json?version=2026-06-01', apiKey: null })
    ).json();
    const newest = (await app.inject({ method: 'GET', url: '/openapi.json', apiKey: null })).json();
    assert.equal(first.info.version, '2026-06-01');
    assert.equal(newest.info.version, '2026-12-01');
    const props = (doc: typeof first) =>
      Object.keys(doc.paths['/v1/orders'].post.requestBody.content['application/json'].schema.properties);
    assert.ok(props(first).includes('customerEmail'));
    assert.ok(props(newest).includes('customer'));
    const bad = await app.inject({ method: 'GET', url: '/openapi.json?version=2019-01-01', apiKey: null });
    assert.equal(bad.statusCode, 400);
  });
});
