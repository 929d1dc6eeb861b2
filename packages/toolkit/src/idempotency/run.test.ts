/**
 * The engine's run() beyond the races of engine.test.ts (issue 21, the
 * engine's surviving mutants): which handler problems are stored and which
 * release the key, how a problem answer is built, and the failures of
 * background work (release, lease renewal, storing a business answer) — on
 * real Postgres; the failing statements are real queries refused by a pool
 * wrapper (run-harness.ts). What is sent and stored: run-store.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProblemError } from '@steadfast/toolkit/problems';
import { eventually } from '@steadfast/toolkit/testing';
import { createRunHarness } from './run-harness.ts';

const { instance, post, notes, keyRow, refusing, pool } = createRunHarness();

describe('a handler’s problem', () => {
  test('a 409 conflict is answered as a problem, rolled back, stored with its Retry-After and replayed', async () => {
    const a = await instance({
      handler: () => {
        throw new ProblemError('note-conflict', {
          detail: 'already there',
          headers: { 'Retry-After': '7', 'X-Other': 'not stored' },
          extensions: { currentText: 'old' },
          errors: [{ pointer: '/text', message: 'taken' }],
        });
      },
    });
    const first = await a.app.inject({
      method: 'POST',
      url: '/notes?debug=1',
      headers: { 'idempotency-key': 'k-409' },
      payload: { text: 'x' },
    });
    assert.equal(first.statusCode, 409);
    assert.equal(first.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(first.headers['retry-after'], '7');
    assert.equal(first.headers['x-other'], 'not stored');
    const body = first.json();
    assert.equal(body.type, '/problems/note-conflict');
    assert.equal(body.status, 409);
    assert.equal(body.detail, 'already there');
    assert.equal(body.instance, '/notes');
    assert.equal(typeof body.requestId, 'string');
    assert.equal(body.currentText, 'old');
    assert.deepEqual(body.errors, [{ pointer: '/text', message: 'taken' }]);
    assert.deepEqual(await notes(), []);
    assert.equal((await keyRow('k-409'))?.response_status, 409);

    const again = await post(a.app, 'k-409', 'x');
    assert.equal(again.statusCode, 409);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(again.headers['retry-after'], '7');
    assert.equal(again.headers['x-other'], undefined);
    assert.equal(again.body, first.body);
    assert.deepEqual(await a.outcomes(), { executed: 1, replayed: 1 });
  });

  for (const [slug, status] of [
    ['note-partner-down', 503],
    ['note-stale', 412],
    ['note-odd-500', 500],
  ] as const) {
    test(`${slug} (${status}) is not stored: the key is released and a retry executes`, async () => {
      let calls = 0;
      const a = await instance({
        handler: (text) => {
          calls++;
          if (calls === 1) throw new ProblemError(slug);
          return { status: 201, body: { text } };
        },
      });
      const failed = await post(a.app, `k-${status}`);
      assert.equal(failed.statusCode, status);
      assert.equal(failed.json().type, `/problems/${slug}`);
      assert.equal(await keyRow(`k-${status}`), undefined);
      const retried = await post(a.app, `k-${status}`);
      assert.equal(retried.statusCode, 201);
      assert.equal(retried.headers['idempotent-replayed'], undefined);
      assert.deepEqual(await notes(), ['hello']);
      assert.deepEqual(await a.outcomes(), { executed: 2 });
    });
  }

  test('storing a business answer fails: the key is released, the error answers, a retry executes', async () => {
    let calls = 0;
    const a = await instance({
      // the business answer is stored through the pool (the handler's transaction was rolled back)
      pool: refusing(pool(), (text) => text.startsWith("UPDATE idempotency_keys SET state = 'completed'")),
      handler: () => {
        calls++;
        throw new ProblemError('note-conflict');
      },
    });
    const failed = await post(a.app, 'k-store');
    assert.equal(failed.statusCode, 500);
    assert.equal(await keyRow('k-store'), undefined, 'released');
    const retried = await post(a.app, 'k-store');
    assert.equal(retried.statusCode, 500);
    assert.equal(calls, 2);
  });
});

describe('failures of background work are reported, never swallowed', () => {
  test('a release that fails is reported with the route; the claim then waits for its lease', async () => {
    const a = await instance({
      pool: refusing(pool(), (text) => text.trimStart().startsWith('DELETE FROM idempotency_keys')),
      handler: () => {
        throw new Error('a bug');
      },
    });
    const failed = await post(a.app, 'k-release');
    assert.equal(failed.statusCode, 500);
    assert.deepEqual(a.reports, [
      {
        component: 'idempotency-key-release',
        message: 'refused by the test',
        route: '/notes',
      },
    ]);
    assert.equal((await keyRow('k-release'))?.state, 'in_flight');
  });

  test('a lease renewal that fails is reported with the route', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const a = await instance({
      leaseS: 0.3,
      pool: refusing(pool(), (text) => text.startsWith('UPDATE idempotency_keys SET lease_expires_at')),
      handler: async (text) => {
        await held;
        return { status: 201, body: { text } };
      },
    });
    const running = post(a.app, 'k-renew');
    await eventually(() => a.reports.length > 0, { message: 'no renewal was reported' });
    release();
    assert.equal((await running).statusCode, 201);
    assert.deepEqual(a.reports[0], {
      component: 'idempotency-lease-renewal',
      message: 'refused by the test',
      route: '/notes',
    });
  });
});
