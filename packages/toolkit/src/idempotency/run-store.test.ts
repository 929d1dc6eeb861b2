/**
 * The engine's run() and replayIfCompleted() (issue 21, the engine's
 * surviving mutants): what is sent and what is stored (storedBody,
 * afterCommit, a route without a key, the stored-size limit), keys found in
 * the store (expired, in flight with another payload, the default wait), and
 * replayIfCompleted's cases — on real Postgres (run-harness.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRunHarness } from './run-harness.ts';

const { instance, post, notes, keyRow, pool } = createRunHarness();

describe('what is sent and what is stored', () => {
  test('storedBody renders the first answer and the stored one; afterCommit’s answer is shown once', async () => {
    const a = await instance({
      storedBody: (result) => ({ rendered: result.body }),
      afterCommit: async (result) => ({
        status: 200,
        body: { done: (result.body as { text: string }).text },
      }),
    });
    const first = await post(a.app, 'k-view');
    assert.equal(first.statusCode, 200);
    assert.deepEqual(first.json(), { rendered: { done: 'hello' } });
    assert.equal(first.headers.location, undefined);
    assert.equal((await keyRow('k-view'))?.body, '{"rendered":{"text":"hello"}}');
    const replay = await post(a.app, 'k-view');
    assert.equal(replay.statusCode, 201);
    assert.equal(replay.headers.location, '/n/1');
    assert.deepEqual(replay.json(), { rendered: { text: 'hello' } });
  });

  test('an afterCommit that answers nothing shows the stored answer; storedBody applies to it', async () => {
    const a = await instance({
      storedBody: (result) => ({ rendered: result.body }),
      afterCommit: async () => undefined,
    });
    const first = await post(a.app, 'k-none');
    assert.equal(first.statusCode, 201);
    assert.equal(first.headers.location, '/n/1');
    assert.equal(first.body, '{"rendered":{"text":"hello"}}');
  });

  test('a route without idempotency runs the handler in a transaction, through afterCommit and storedBody', async () => {
    const a = await instance({
      storedBody: (result) => ({ rendered: result.body }),
      afterCommit: async (result) => ({
        status: 202,
        body: { shown: (result.body as { text: string }).text },
      }),
    });
    const res = await post(a.app, undefined, 'plain', '/plain');
    assert.equal(res.statusCode, 202);
    assert.deepEqual(res.json(), { rendered: { shown: 'plain' } });
    assert.deepEqual(await notes(), ['plain']);
    assert.equal((await pool().query('SELECT count(*)::int AS n FROM idempotency_keys')).rows[0].n, 0);
    const bare = await instance({});
    const again = await post(bare.app, undefined, 'plain again', '/plain');
    assert.equal(again.statusCode, 201);
    assert.deepEqual(again.json(), { text: 'plain again' });
    assert.equal(again.headers.location, '/n/1');
  });

  test('a body over maxStoredBytes is sent in full the first time; its replay has the status and no body', async () => {
    const a = await instance({ maxStoredBytes: 16 });
    const small = await post(a.app, 'k-small', 'abcdefg'); // {"text":"abcdefg"} is 18 bytes
    assert.equal(small.body, '{"text":"abcdefg"}');
    const replay = await post(a.app, 'k-small', 'abcdefg');
    assert.equal(replay.statusCode, 201);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.body, '');
    const fits = await post(a.app, 'k-fits', 'abcde'); // 16 bytes: kept
    assert.equal(fits.statusCode, 201);
    assert.equal((await post(a.app, 'k-fits', 'abcde')).body, '{"text":"abcde"}');
  });

  test('the default limit keeps a body of 1 MiB and drops a larger one', async () => {
    // the handler answers a body of the length asked for: {"text":"xx…"} is 11 bytes more than its x's
    const a = await instance({
      handler: (text) => ({ status: 201, body: { text: 'x'.repeat(Number(text)) } }),
    });
    assert.equal((await post(a.app, 'k-mib', '1048565')).statusCode, 201);
    assert.equal((await post(a.app, 'k-mib', '1048565')).body.length, 1_048_576);
    assert.equal((await post(a.app, 'k-over', '1048566')).body.length, 1_048_577);
    assert.equal((await post(a.app, 'k-over', '1048566')).body, '');
  });
});

describe('keys found in the store', () => {
  test('a record past its retention is deleted and the key executes as new', async () => {
    const a = await instance({});
    assert.equal((await post(a.app, 'k-old')).statusCode, 201);
    await pool().query(
      `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'k-old'`,
    );
    const fresh = await post(a.app, 'k-old', 'other payload');
    assert.equal(fresh.statusCode, 201);
    assert.equal(fresh.headers['idempotent-replayed'], undefined);
    assert.deepEqual(await notes(), ['hello', 'other payload']);
    assert.deepEqual(await a.outcomes(), { executed: 2 });
  });

  test('another payload on a key still in flight is a 422 at once, not a wait', async () => {
    const a = await instance({ waitMs: 60_000 });
    await pool().query(
      `INSERT INTO idempotency_keys (tenant_id, method, route, key, fingerprint, state, owner, lease_expires_at, expires_at)
       VALUES ('default', 'POST', '/notes', 'k-busy', '\\x00', 'in_flight', 'x:1', now() + interval '1 hour', now() + interval '1 day')`,
    );
    const res = await post(a.app, 'k-busy');
    assert.equal(res.statusCode, 422);
    assert.equal(res.json().type, '/problems/idempotency-key-reused');
    assert.deepEqual(await a.outcomes(), { fingerprint_mismatch: 1 });
  });

  test('by default a duplicate waits about a second for an in-flight first request, then 409', async () => {
    const a = await instance({});
    // the seed gives the in-flight row this payload's fingerprint
    assert.equal((await post(a.app, 'k-seed')).statusCode, 201);
    await pool().query(
      `INSERT INTO idempotency_keys (tenant_id, method, route, key, fingerprint, state, owner, lease_expires_at, expires_at)
       SELECT 'default', 'POST', '/notes', 'k-wait', fingerprint, 'in_flight', 'x:1', now() + interval '1 hour', now() + interval '1 day'
       FROM idempotency_keys WHERE key = 'k-seed'`,
    );
    const res = await post(a.app, 'k-wait');
    assert.equal(res.statusCode, 409);
    assert.equal(res.headers['retry-after'], '1');
    assert.equal(res.json().type, '/problems/idempotency-request-in-flight');
  });
});

describe('replayIfCompleted', () => {
  test('false without a key, for an unknown, in-flight or expired key; the stored answer for a completed one', async () => {
    const a = await instance({});
    assert.deepEqual((await post(a.app, undefined, 'hello', '/peek-plain')).json(), { replayed: false });
    assert.deepEqual((await post(a.app, 'k-peek', 'hello', '/peek')).json(), { replayed: false });
    assert.equal((await post(a.app, 'k-peek')).statusCode, 201);
    // /peek is another route: its scope differs, so copy the record over to it
    const copy = (key: string, state: string) =>
      pool().query(
        `INSERT INTO idempotency_keys (tenant_id, method, route, key, fingerprint, state, owner, lease_expires_at,
           response_status, response_headers, response_body, completed_at, expires_at)
         SELECT tenant_id, method, '/peek', $1, fingerprint, $2, owner, lease_expires_at,
           response_status, response_headers, response_body, completed_at, expires_at
         FROM idempotency_keys WHERE key = 'k-peek' AND route = '/notes'`,
        [key, state],
      );
    await copy('k-peek', 'completed');
    const replayed = await post(a.app, 'k-peek', 'hello', '/peek');
    assert.equal(replayed.statusCode, 201);
    assert.equal(replayed.headers['idempotent-replayed'], 'true');
    assert.deepEqual(replayed.json(), { text: 'hello' });
    const reused = await post(a.app, 'k-peek', 'another', '/peek');
    assert.equal(reused.statusCode, 422);

    await copy('k-flight', 'in_flight');
    await pool().query(`UPDATE idempotency_keys SET response_status = NULL WHERE key = 'k-flight'`);
    assert.deepEqual((await post(a.app, 'k-flight', 'hello', '/peek')).json(), { replayed: false });
    await copy('k-half', 'in_flight');
    assert.deepEqual((await post(a.app, 'k-half', 'hello', '/peek')).json(), { replayed: false });
    await copy('k-gone', 'completed');
    await pool().query(
      `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = 'k-gone'`,
    );
    assert.deepEqual((await post(a.app, 'k-gone', 'hello', '/peek')).json(), { replayed: false });
  });
});
