/**
 * insertOnce meeting a key that another request (in another process) holds in
 * flight: the duplicate waits (the engine's waitMs, 100 ms here), then answers
 * from what the first request left — its stored answer, a fresh write when the
 * key was released or expired meanwhile, or 409 with Retry-After when it is
 * still in flight at the deadline. Nothing is written twice.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createInsertOnceHarness } from './insert-once-harness.ts';

const { instance, post, pool } = createInsertOnceHarness();

const body = { id: 'w-1', label: 'one' };

/** `key` in flight for another owner, with the fingerprint of `body` (taken from a completed seed). */
async function inFlight(
  key: string,
  lease = `now() + interval '1 hour'`,
  expires = `now() + interval '1 day'`,
) {
  await pool().query(
    `INSERT INTO idempotency_keys (tenant_id, method, route, key, fingerprint, state, owner, lease_expires_at, expires_at)
     SELECT tenant_id, method, route, $1, fingerprint, 'in_flight', 'elsewhere:1', ${lease}, ${expires}
     FROM idempotency_keys WHERE key = 'seed'`,
    [key],
  );
}

/** a first request whose row is written (the seed); its label row is removed again so ids stay free */
async function seed(app: Parameters<typeof post>[0]) {
  assert.equal((await post(app, 'seed', body)).statusCode, 201);
  await pool().query(`DELETE FROM labels WHERE id = $1`, [body.id]);
}

const labels = async () => (await pool().query(`SELECT id, label FROM labels ORDER BY id`)).rows;
const keyState = async (key: string) =>
  (await pool().query(`SELECT state, owner FROM idempotency_keys WHERE key = $1`, [key])).rows[0];

describe('insertOnce: a duplicate of a key in flight elsewhere', () => {
  test('still in flight at the deadline: 409 with Retry-After, counted, nothing written', async () => {
    const { app, outcomes } = await instance();
    await seed(app);
    await inFlight('k-busy');
    const started = performance.now();
    const res = await post(app, 'k-busy', body);
    assert.equal(res.statusCode, 409);
    assert.equal(res.headers['retry-after'], '1');
    assert.equal(res.json().type, '/problems/idempotency-request-in-flight');
    assert.ok(performance.now() - started >= 90, 'it waited for the first request before giving up');
    assert.deepEqual(await labels(), []);
    assert.deepEqual(await keyState('k-busy'), { state: 'in_flight', owner: 'elsewhere:1' });
    assert.deepEqual(await outcomes(), { executed: 1, in_flight_conflict: 1 });
  });

  test('completed while it waits: the first request’s stored answer is replayed, not written again', async () => {
    const { app, outcomes } = await instance();
    await seed(app);
    await inFlight('k-done');
    const waiting = post(app, 'k-done', body);
    await new Promise((resolve) => setTimeout(resolve, 30));
    // the first request commits: its row and its stored answer (a body this request would not produce)
    await pool().query(
      `INSERT INTO labels (id, label, doc, amount, at, flag) VALUES ('w-1', 'first', '{}', 1, now(), true)`,
    );
    await pool().query(
      `UPDATE idempotency_keys SET state = 'completed', owner = NULL, lease_expires_at = NULL, response_status = 201,
         response_headers = '{"location":"/labels/w-1"}', response_body = convert_to('{"id":"w-1","label":"first"}', 'UTF8'),
         completed_at = now()
       WHERE key = 'k-done'`,
    );
    const res = await waiting;
    assert.equal(res.statusCode, 201);
    assert.equal(res.headers['idempotent-replayed'], 'true');
    assert.deepEqual(res.json(), { id: 'w-1', label: 'first' });
    assert.deepEqual(await labels(), [{ id: 'w-1', label: 'first' }]);
    assert.deepEqual(await outcomes(), { executed: 1, replayed: 1 });
  });

  test('released while it waits (the first failed and gave the key up): this request writes the row', async () => {
    const { app, outcomes } = await instance();
    await seed(app);
    await inFlight('k-gone');
    const waiting = post(app, 'k-gone', body);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await pool().query(`DELETE FROM idempotency_keys WHERE key = 'k-gone'`);
    const res = await waiting;
    assert.equal(res.statusCode, 201);
    assert.equal(res.headers['idempotent-replayed'], undefined);
    assert.deepEqual(res.json(), { id: 'w-1', label: 'one' });
    assert.deepEqual(await labels(), [{ id: 'w-1', label: 'one' }]);
    assert.equal((await keyState('k-gone'))?.state, 'completed');
    assert.deepEqual(await outcomes(), { executed: 2 });
  });

  test('a key past its retention counts as absent: deleted, and this request writes the row at once', async () => {
    const { app, outcomes } = await instance();
    await seed(app);
    await inFlight('k-old', `now() - interval '1 hour'`, `now() - interval '1 minute'`);
    const res = await post(app, 'k-old', body);
    assert.equal(res.statusCode, 201);
    assert.equal(res.headers['idempotent-replayed'], undefined);
    assert.deepEqual(await labels(), [{ id: 'w-1', label: 'one' }]);
    assert.equal((await keyState('k-old'))?.state, 'completed');
    assert.deepEqual(await outcomes(), { executed: 2 });
  });

  test('a stale claim (run() on the same route, its owner gone) is not taken over: insertOnce has no lease to hold it by; 409 at the deadline', async () => {
    const { app, outcomes } = await instance();
    await seed(app);
    await inFlight('k-stale', `now() - interval '1 minute'`);
    const res = await post(app, 'k-stale', body);
    assert.equal(res.statusCode, 409);
    assert.deepEqual(await labels(), []);
    assert.deepEqual(await keyState('k-stale'), { state: 'in_flight', owner: 'elsewhere:1' });
    assert.deepEqual(await outcomes(), { executed: 1, in_flight_conflict: 1 });
  });
});
