/** The API keys a tenant manages over HTTP: list, create (secret once), revoke (the key in use too), rotate. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { buildTestApp, type TestApp } from './testing.ts';

let app: TestApp;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

const get = (url: string, apiKey?: string) => app.inject({ method: 'GET', url, apiKey });
const post = (url: string, options: { payload?: object; apiKey?: string; idempotencyKey?: string } = {}) =>
  app.inject({ method: 'POST', url, ...options });

describe('/v1/api-keys', () => {
  test('create shows the secret once; a replay answers the metadata without it and says why', async () => {
    const key = randomUUID();
    const created = await post('/v1/api-keys', { payload: { name: 'ci' }, idempotencyKey: key });
    assert.equal(created.statusCode, 201);
    const body = created.json();
    assert.match(body.id, /^key_/);
    assert.equal(body.name, 'ci');
    assert.match(body.apiKey, /^sf_/);
    assert.equal(body.prefix, body.apiKey.slice(0, 7));
    assert.equal(body.secretOmitted, null);
    assert.equal((await get('/v1/orders', body.apiKey)).statusCode, 200, 'the new key works');

    const replay = await post('/v1/api-keys', { payload: { name: 'ci' }, idempotencyKey: key });
    assert.equal(replay.statusCode, 201);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.json().id, body.id);
    assert.equal(replay.json().apiKey, null);
    assert.match(replay.json().secretOmitted, /shown only in the first answer/);
    const { rows } = await app.db.pool.query(
      'SELECT count(*)::int AS n FROM idempotency_keys WHERE response_body::text LIKE $1',
      [`%${body.apiKey}%`],
    );
    assert.equal(rows[0].n, 0, 'the secret is not in the idempotency record');
  });

  test('list: the tenant’s own keys, cursor-paged, never a secret', async () => {
    const other = await app.createTenant({ name: 'Other' });
    for (const name of ['a', 'b', 'c']) await post('/v1/api-keys', { payload: { name } });
    const first = (await get('/v1/api-keys?limit=2')).json();
    assert.equal(first.data.length, 2);
    assert.ok(first.nextCursor);
    const rest = (await get(`/v1/api-keys?limit=100&cursor=${first.nextCursor}`)).json();
    const all = [...first.data, ...rest.data];
    assert.ok(all.some((k: { id: string }) => k.id === app.tenant.keyId));
    assert.ok(!all.some((k: { id: string }) => k.id === other.keyId), 'no other tenant’s key');
    assert.ok(all.every((k: object) => !('apiKey' in k) && !('keyHash' in k)));
    assert.deepEqual(
      (await get('/v1/api-keys', other.apiKey)).json().data.map((k: { id: string }) => k.id),
      [other.keyId],
    );
    assert.equal((await get('/v1/api-keys?cursor=bm9wZQ')).statusCode, 400);
  });

  test('revoke: unknown or another tenant’s key → 404; the key in use is refused from the very next request', async () => {
    const other = await app.createTenant({ name: 'Victim' });
    assert.equal((await post(`/v1/api-keys/${other.keyId}/revoke`)).statusCode, 404);
    assert.equal((await post('/v1/api-keys/key_00000000000000000000000000/revoke')).statusCode, 404);
    assert.equal((await get('/v1/orders', other.apiKey)).statusCode, 200, 'untouched');

    const self = await app.createTenant({ name: 'Self' });
    assert.equal((await get('/v1/orders', self.apiKey)).statusCode, 200, 'cached now');
    const revoked = await post(`/v1/api-keys/${self.keyId}/revoke`, { apiKey: self.apiKey });
    assert.equal(revoked.statusCode, 200);
    assert.ok(revoked.json().revokedAt);
    assert.equal((await get('/v1/orders', self.apiKey)).statusCode, 401, 'at once');
  });

  test('rotate: a new key, the old one works through the overlap; overlap 0 stops it at once', async () => {
    const created = (await post('/v1/api-keys', { payload: { name: 'deploy' } })).json();
    const rotated = await post(`/v1/api-keys/${created.id}/rotate`, { payload: { overlapS: 3600 } });
    assert.equal(rotated.statusCode, 200);
    const { created: next, previous } = rotated.json();
    assert.equal(next.name, 'deploy');
    assert.match(next.apiKey, /^sf_/);
    assert.equal(previous.id, created.id);
    assert.ok(Date.parse(previous.expiresAt) > Date.now() + 3500_000);
    assert.equal((await get('/v1/orders', created.apiKey)).statusCode, 200, 'the old key in the overlap');
    assert.equal((await get('/v1/orders', next.apiKey)).statusCode, 200);

    const bodyless = await post(`/v1/api-keys/${next.id}/rotate`);
    assert.equal(bodyless.statusCode, 200, 'the body is optional (default overlap 24 h)');
    const last = bodyless.json().created;
    const now = await post(`/v1/api-keys/${last.id}/rotate`, { payload: { overlapS: 0 } });
    assert.equal(now.statusCode, 200);
    assert.equal((await get('/v1/orders', last.apiKey)).statusCode, 401, 'overlap 0: refused at once');
    const again = await post(`/v1/api-keys/${last.id}/rotate`);
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().type, '/problems/api-key-inactive');
  });

  test('bad input: no name, unknown fields, a past expiresAt, a negative overlap → 400', async () => {
    for (const payload of [
      {},
      { name: 'x', scopes: ['ops'] },
      { name: 'x', expiresAt: '2000-01-01T00:00:00Z' },
    ]) {
      const response = await post('/v1/api-keys', { payload });
      assert.equal(response.statusCode, 400, JSON.stringify(payload));
    }
    const bad = await post(`/v1/api-keys/${app.tenant.keyId}/rotate`, { payload: { overlapS: -1 } });
    assert.equal(bad.statusCode, 400);
  });
});
