/** findLineage and reapLineage on rows put in by hand: prefixes taken literally, the limit and `truncated`, operator and tenant scopes, batched reaping. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ALL_TENANTS, migrate, type Queryable } from '../postgres/index.ts';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { lineageMigrations } from './migrations.ts';
import { findLineage, reapLineage } from './query.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...lineageMigrations]);
});
after(() => db?.close());

/** one request row; `ageS` seconds old, so a later one is newer */
async function addRequest(row: { requestId: string; tenantId?: string; refs?: string[]; ageS?: number }) {
  await db.pool.query(
    `INSERT INTO lineage_requests (at, request_id, tenant_id, method, route, status, duration_ms, refs)
     VALUES (now() - make_interval(secs => $1), $2, $3, 'GET', '/x', 200, 1, $4)`,
    [row.ageS ?? 0, row.requestId, row.tenantId ?? null, row.refs ?? []],
  );
}
async function addAttempt(row: { requestId?: string; key?: string; ageS?: number }) {
  await db.pool.query(
    `INSERT INTO lineage_attempts (at, request_id, dependency, method, route, status, duration_ms, attempt, kind,
                                   outcome, idempotency_key)
     VALUES (now() - make_interval(secs => $1), $2, 'pricing', 'GET', '/p', 200, 1, 1, 'success', 'success', $3)`,
    [row.ageS ?? 0, row.requestId ?? null, row.key ?? null],
  );
}
const keysOf = (attempts: { idempotencyKey: string | null }[]) =>
  attempts.map((a) => a.idempotencyKey).sort();

describe('findLineage', () => {
  test('a key prefix is taken literally: _ and % in it match only themselves', async () => {
    for (const key of ['a_b:1', 'axb:1', '50%:1', '500:1', 'c\\d:1', 'cd:1']) await addAttempt({ key });
    const found = await findLineage(db.pool, {
      keyPrefixes: ['a_b', '50%', 'c\\d'],
      tenantId: ALL_TENANTS,
      limit: 10,
    });
    assert.deepEqual(keysOf(found.attempts), ['50%:1', 'a_b:1', 'c\\d:1']);
  });

  test('an empty prefix is ignored, not a match-all; at most 20 prefixes, empty ones not counted', async () => {
    await addAttempt({ key: 'empty-prefix:1' });
    const none = await findLineage(db.pool, { keyPrefixes: [''], tenantId: ALL_TENANTS, limit: 10 });
    assert.deepEqual(none, { requests: [], attempts: [], truncated: false });

    const twenty = Array.from({ length: 20 }, (_, i) => `p${i}:`);
    await findLineage(db.pool, { keyPrefixes: [...twenty, '', ''], tenantId: ALL_TENANTS, limit: 10 });
    await assert.rejects(
      findLineage(db.pool, { keyPrefixes: [...twenty, 'p20:'], tenantId: ALL_TENANTS, limit: 10 }),
      { message: 'findLineage: at most 20 key prefixes' },
    );
  });

  test('requests: at most `limit`, newest first; truncated only when more matched', async () => {
    for (let i = 1; i <= 3; i++)
      await addRequest({ requestId: `req_lim${i}`, refs: ['lim-r'], ageS: 10 - i });
    const two = await findLineage(db.pool, { refs: ['lim-r'], tenantId: ALL_TENANTS, limit: 2 });
    assert.deepEqual(
      two.requests.map((r) => r.requestId),
      ['req_lim3', 'req_lim2'],
    );
    assert.deepEqual([two.attempts, two.truncated], [[], true]);
    const three = await findLineage(db.pool, { refs: ['lim-r'], tenantId: ALL_TENANTS, limit: 3 });
    assert.deepEqual([three.requests.length, three.truncated], [3, false]);
    const one = await findLineage(db.pool, { refs: ['lim-r'], tenantId: ALL_TENANTS, limit: 0 });
    assert.deepEqual([one.requests.length, one.truncated], [1, true], 'a limit below 1 is 1');
  });

  test('attempts: at most `limit`, newest first; truncated only when more matched', async () => {
    for (let i = 1; i <= 3; i++) await addAttempt({ key: `lim-a:${i}`, ageS: 10 - i });
    const two = await findLineage(db.pool, { keyPrefixes: ['lim-a:'], tenantId: ALL_TENANTS, limit: 2 });
    assert.deepEqual(
      two.attempts.map((a) => a.idempotencyKey),
      ['lim-a:3', 'lim-a:2'],
    );
    assert.deepEqual([two.requests, two.truncated], [[], true]);
    const three = await findLineage(db.pool, { keyPrefixes: ['lim-a:'], tenantId: ALL_TENANTS, limit: 3 });
    assert.deepEqual([three.attempts.length, three.truncated], [3, false]);
  });

  test('operators find attempts by request id with no request row, and by their idempotency key', async () => {
    await addAttempt({ requestId: 'req_orphan', key: 'orphan:1' });
    await addAttempt({ requestId: 'req_other', key: 'op-key:1' });
    const byId = await findLineage(db.pool, { requestIds: ['req_orphan'], tenantId: ALL_TENANTS, limit: 10 });
    assert.deepEqual([byId.requests, keysOf(byId.attempts)], [[], ['orphan:1']]);
    const byKey = await findLineage(db.pool, {
      idempotencyKeys: ['op-key:1'],
      tenantId: ALL_TENANTS,
      limit: 10,
    });
    assert.deepEqual(keysOf(byKey.attempts), ['op-key:1']);
  });

  test('a tenant sees only the attempts of its own requests: not by request id alone, key or prefix', async () => {
    await addRequest({ requestId: 'req_mine', tenantId: 'tenant_a' });
    await addAttempt({ requestId: 'req_mine', key: 'mine:1' });
    await addAttempt({ requestId: 'req_theirs', key: 'theirs:1' });
    const found = await findLineage(db.pool, {
      requestIds: ['req_mine', 'req_theirs'],
      idempotencyKeys: ['theirs:1'],
      keyPrefixes: ['theirs:'],
      tenantId: 'tenant_a',
      limit: 10,
    });
    assert.deepEqual(
      found.requests.map((r) => r.requestId),
      ['req_mine'],
    );
    assert.deepEqual(keysOf(found.attempts), ['mine:1']);
  });
});

describe('reapLineage', () => {
  test('deletes both tables in batches of batchSize and returns how many rows went', async () => {
    const old = 10 * 86_400;
    for (let i = 0; i < 5; i++) await addRequest({ requestId: `req_reap${i}`, ageS: old });
    for (let i = 0; i < 2; i++) await addAttempt({ requestId: `req_reap${i}`, ageS: old });
    const statements: unknown[][] = [];
    const counted: Queryable = {
      query: ((text: string, values?: unknown[]) => {
        statements.push([/FROM (\w+)/.exec(text)?.[1], values?.at(-1)]);
        return db.pool.query(text, values);
      }) as Queryable['query'],
    };
    const deleted = await reapLineage(counted, {
      olderThan: new Date(Date.now() - 86_400_000),
      batchSize: 2,
    });
    assert.equal(deleted, 7);
    assert.deepEqual(statements, [
      ['lineage_requests', 2],
      ['lineage_requests', 2],
      ['lineage_requests', 2],
      ['lineage_attempts', 2],
      ['lineage_attempts', 2], // a full batch: one more look
    ]);
    const left = await db.pool.query(
      `SELECT count(*)::int AS n FROM lineage_requests WHERE request_id LIKE 'req_reap%'`,
    );
    assert.equal(left.rows[0].n, 0);
  });
});
