/** Tenants' pinned versions: one query for a burst of a tenant's first requests, a pin seen at once here, a failed read not remembered. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Queryable } from '@steadfast/toolkit/postgres';
import { createVersionPins } from './api-version-pins.ts';
import { buildTestApp, type TestApp } from './testing.ts';

let app: TestApp;
before(async () => {
  app = await buildTestApp();
});
after(() => app.close());

function counting(db: Queryable, fail = { next: false }) {
  let queries = 0;
  const wrapped: Queryable = {
    query: ((...args: Parameters<Queryable['query']>) => {
      queries++;
      if (fail.next) {
        fail.next = false;
        return Promise.reject(new Error('connection lost'));
      }
      return (db.query as (...a: unknown[]) => unknown)(...args);
    }) as Queryable['query'],
  };
  return { wrapped, count: () => queries, fail };
}

test('50 concurrent first requests of a tenant read its pin once; a pin made here is seen at once', async () => {
  const db = counting(app.db.pool);
  const pins = createVersionPins({ db: db.wrapped, clock: { now: () => 0 } });
  const all = await Promise.all(Array.from({ length: 50 }, () => pins.pinOf(app.tenant.tenantId)));
  assert.equal(db.count(), 1);
  assert.deepEqual(all[49], { version: '2026-06-01', pinned: false, pinnedAt: null });
  await pins.pin(app.tenant.tenantId, '2026-12-01');
  const after = db.count();
  assert.equal((await pins.pinOf(app.tenant.tenantId)).version, '2026-12-01');
  assert.equal(db.count(), after, 'from the cache');
});

test('a failed read is not remembered: the next request asks again', async () => {
  const db = counting(app.db.pool, { next: true });
  const pins = createVersionPins({ db: db.wrapped, clock: { now: () => 0 } });
  await assert.rejects(pins.pinOf(app.tenant.tenantId), /connection lost/);
  await new Promise((r) => setImmediate(r));
  assert.equal((await pins.pinOf(app.tenant.tenantId)).pinned, true);
  assert.equal(db.count(), 2);
});
