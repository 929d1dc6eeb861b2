/** Key lifecycle (create, list, revoke, rotate, expiry; owners isolated) and revocation across processes. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  authMigrations,
  createApiKey,
  createApiKeyVerifier,
  createOperator,
  createTenant,
  findApiKey,
  listApiKeys,
  listenForKeyChanges,
  revokeApiKey,
  rotateApiKey,
} from '@steadfast/toolkit/auth';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import { createBackgroundErrors, createLogger } from '@steadfast/toolkit/observability';
import { createPool, migrate, type Pool } from '@steadfast/toolkit/postgres';
import {
  createLogCapture,
  createTestDatabase,
  eventually,
  type TestDatabase,
} from '@steadfast/toolkit/testing';

const ids = createIdGenerator();
const realClock = { now: () => Date.now() };
let db: TestDatabase;
let pool: Pool;

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  pool = db.pool;
  await migrate(pool, [...authMigrations]);
});
after(() => db?.close());

const verifierFor = (p: Pool = pool) => createApiKeyVerifier({ db: p, clock: realClock, cacheTtlMs: 60_000 });

describe('key lifecycle', () => {
  test('create shows the secret once; list gives metadata, never the hash; owners are isolated', async () => {
    const a = await createTenant(pool, ids, { name: 'A' });
    const b = await createTenant(pool, ids, { name: 'B' });
    const { operatorId } = await createOperator(pool, ids, { name: 'ops' });
    const second = await createApiKey(pool, ids, { tenantId: a.tenantId, name: 'ci', scopes: ['reports'] });
    assert.match(second.apiKey, /^sf_/);
    assert.equal(second.prefix, second.apiKey.slice(0, 7));
    const operatorKey = await createApiKey(pool, ids, { operatorId });

    const listed = await listApiKeys(pool, { tenantId: a.tenantId });
    assert.deepEqual(
      listed.map((k) => k.id),
      [second.id, a.keyId],
      'newest first, only A’s keys',
    );
    assert.deepEqual(Object.keys(listed[0]).sort(), [
      'createdAt',
      'expiresAt',
      'id',
      'lastUsedAt',
      'name',
      'prefix',
      'revokedAt',
      'scopes',
    ]);
    assert.equal(listed[0].name, 'ci');
    assert.deepEqual(listed[0].scopes, ['reports']);
    assert.ok(!JSON.stringify(listed).includes(second.apiKey));
    assert.deepEqual(
      (await listApiKeys(pool, { operatorId })).map((k) => k.id),
      [operatorKey.id],
    );
    assert.deepEqual(
      (await listApiKeys(pool, { tenantId: a.tenantId }, { limit: 1, beforeId: second.id })).map((k) => k.id),
      [a.keyId],
      'pages on with beforeId',
    );

    assert.equal(
      await revokeApiKey(pool, { tenantId: b.tenantId }, second.id),
      false,
      'another tenant’s key',
    );
    assert.equal(await revokeApiKey(pool, { operatorId }, second.id), false, 'an operator does not own it');
    assert.equal(await revokeApiKey(pool, { tenantId: a.tenantId }, 'key_unknown'), false);
    assert.equal(await findApiKey(pool, { tenantId: b.tenantId }, second.id), undefined);
    assert.equal((await verifierFor().verify(second.apiKey))?.keyId, second.id);
    assert.equal(await revokeApiKey(pool, { tenantId: a.tenantId }, second.id), true);
    assert.equal(await revokeApiKey(pool, { tenantId: a.tenantId }, second.id), false, 'already revoked');
    assert.ok((await findApiKey(pool, { tenantId: a.tenantId }, second.id))?.revokedAt);
    assert.equal(await verifierFor().verify(second.apiKey), undefined);
    await assert.rejects(listApiKeys(pool, {} as never), /tenantId \} or \{ operatorId/);
  });

  test('a key belongs to exactly one owner (the database refuses both or none)', async () => {
    const t = await createTenant(pool, ids, { name: 'T' });
    const { operatorId } = await createOperator(pool, ids, { name: 'O' });
    await assert.rejects(
      pool.query(
        `INSERT INTO api_keys (id, tenant_id, operator_id, key_hash, prefix) VALUES ('key_x', $1, $2, '\\x01', 'sf_x')`,
        [t.tenantId, operatorId],
      ),
      /api_keys_one_owner/,
    );
    await assert.rejects(
      pool.query(`INSERT INTO api_keys (id, key_hash, prefix) VALUES ('key_y', '\\x02', 'sf_y')`),
      /api_keys_one_owner/,
    );
  });

  test('an expired key is refused, and a cached verification ends at expires_at, not at the TTL', async () => {
    const t = await createTenant(pool, ids, { name: 'Expiring' });
    const past = await createApiKey(pool, ids, {
      tenantId: t.tenantId,
      expiresAt: new Date(Date.now() - 1000),
    });
    assert.equal(await verifierFor().verify(past.apiKey), undefined);
    const soon = await createApiKey(pool, ids, {
      tenantId: t.tenantId,
      expiresAt: new Date(Date.now() + 300),
    });
    const verifier = verifierFor(); // TTL 60 s
    assert.equal((await verifier.verify(soon.apiKey))?.keyId, soon.id);
    await eventually(async () => (await verifier.verify(soon.apiKey)) === undefined, {
      timeoutMs: 3000,
      message: 'the cached key outlived its expires_at',
    });
  });

  test('rotate: a new key with the same name and scopes; the old one works for the overlap, 0 = stops at once', async () => {
    const t = await createTenant(pool, ids, { name: 'Rotating' });
    const other = await createTenant(pool, ids, { name: 'Other' });
    const original = await createApiKey(pool, ids, {
      tenantId: t.tenantId,
      name: 'deploy',
      scopes: ['reports'],
    });
    assert.equal(await rotateApiKey(pool, ids, { tenantId: other.tenantId }, original.id), undefined);
    assert.equal(await rotateApiKey(pool, ids, { tenantId: t.tenantId }, 'key_unknown'), undefined);

    // docs:start rotate
    // a new key with the same name and scopes; the old one works for another hour (overlapS: 0 = stops now)
    const rotated = await rotateApiKey(pool, ids, { tenantId: t.tenantId }, original.id, { overlapS: 3600 });
    // docs:end rotate
    assert.ok(rotated);
    assert.equal(rotated.created.name, 'deploy');
    assert.deepEqual(rotated.created.scopes, ['reports']);
    assert.equal(rotated.created.expiresAt, null);
    assert.equal(rotated.previous.id, original.id);
    const expiresInS = (Date.parse(rotated.previous.expiresAt as string) - Date.now()) / 1000;
    assert.ok(expiresInS > 3500 && expiresInS <= 3600, `old key expires in ${expiresInS} s`);
    const verifier = verifierFor();
    assert.equal((await verifier.verify(original.apiKey))?.keyId, original.id, 'still works in the overlap');
    assert.equal((await verifier.verify(rotated.created.apiKey))?.keyId, rotated.created.id);

    const again = await rotateApiKey(pool, ids, { tenantId: t.tenantId }, rotated.created.id, {
      overlapS: 0,
    });
    assert.ok(again);
    assert.equal(await verifierFor().verify(rotated.created.apiKey), undefined, 'overlap 0: refused at once');
    assert.equal(
      await rotateApiKey(pool, ids, { tenantId: t.tenantId }, rotated.created.id),
      undefined,
      'an expired key cannot be rotated',
    );
    await revokeApiKey(pool, { tenantId: t.tenantId }, again.created.id);
    assert.equal(
      await rotateApiKey(pool, ids, { tenantId: t.tenantId }, again.created.id),
      undefined,
      'revoked',
    );
    await assert.rejects(
      rotateApiKey(pool, ids, { tenantId: t.tenantId }, original.id, { overlapS: -1 }),
      /overlapS is a whole number/,
    );
  });
});

describe('revocation reaches every process within 1 s', () => {
  test('two verifiers on two pools: a revoke through one is refused by the other, also after its LISTEN connection died', async (t) => {
    const logs = createLogCapture();
    const errors = createBackgroundErrors({ log: createLogger({ level: 'warn', destination: logs.stream }) });
    const second = createPool({ connectionString: db.url, max: 3, applicationName: 'auth-instance-2' });
    const one = verifierFor(pool);
    const two = verifierFor(second);
    const listenOne = listenForKeyChanges({ pool, verifier: one, errors });
    // docs:start listen
    // what apiKeyAuth's keyChanges option does: forget a revoked or rotated key at once, everything after a lost LISTEN
    const listenTwo = listenForKeyChanges({ pool: second, verifier: two, errors, retryMinMs: 20 });
    // docs:end listen
    t.after(async () => {
      await listenOne.stop();
      await listenTwo.stop();
      await second.end();
    });
    await listenOne.start();
    await listenTwo.start();
    assert.ok(listenOne.listening() && listenTwo.listening());

    const tenant = await createTenant(pool, ids, { name: 'Shared' });
    assert.equal((await one.verify(tenant.apiKey))?.keyId, tenant.keyId);
    assert.equal((await two.verify(tenant.apiKey))?.keyId, tenant.keyId);
    const lookups = two.lookups();
    assert.equal((await two.verify(tenant.apiKey))?.keyId, tenant.keyId, 'cached for 60 s');
    assert.equal(two.lookups(), lookups, 'no round trip while cached');
    assert.equal(await revokeApiKey(pool, { tenantId: tenant.tenantId }, tenant.keyId), true);
    await eventually(async () => (await two.verify(tenant.apiKey)) === undefined, {
      timeoutMs: 1000,
      message: 'instance 2 still accepts the revoked key after 1 s',
    });
    assert.equal(await one.verify(tenant.apiKey), undefined);

    // the server kills instance 2's LISTEN connection: it listens again and forgets its cache
    const killed = await pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = 'auth-instance-2' AND query LIKE 'LISTEN%'`,
    );
    assert.equal(killed.rowCount, 1);
    await eventually(() => listenTwo.reconnects() === 1 && listenTwo.listening(), {
      message: 'the listener did not reconnect',
    });
    assert.match(logs.text(), /listener:steadfast_api_keys failed/, 'the loss was reported');

    const rotatedAway = await createApiKey(pool, ids, { tenantId: tenant.tenantId });
    assert.equal((await two.verify(rotatedAway.apiKey))?.keyId, rotatedAway.id);
    await rotateApiKey(pool, ids, { tenantId: tenant.tenantId }, rotatedAway.id, { overlapS: 0 });
    await eventually(async () => (await two.verify(rotatedAway.apiKey)) === undefined, {
      timeoutMs: 1000,
      message: 'after the reconnect, a rotation did not reach instance 2 within 1 s',
    });
  });
});
