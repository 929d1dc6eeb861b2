/**
 * The recorder's timer (warnings about dropped rows, one timer, unref'd),
 * attach/dispose per client, and the stored columns on a real database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { migrate } from '../postgres/index.ts';
import type { EgressAttempt } from '../resilience/index.ts';
import { createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { lineageMigrations } from './migrations.ts';
import type { AttemptSource } from './recorder.ts';
import { attempt, fakeDb, recorderOn, request } from './recorder-harness.ts';

describe('lineage recorder: the timer', () => {
  test('every flushIntervalMs it warns about the rows dropped and writes what is buffered', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const { db, statements } = fakeDb();
    const { recorder, warnings } = recorderOn(db, { flushIntervalMs: 20, maxBuffered: 1 });
    recorder.start();
    recorder.recordRequest(request('req_1'));
    recorder.recordRequest(request('req_2'));
    t.mock.timers.tick(19);
    await turn();
    assert.deepEqual([statements.length, warnings().length], [0, 0]);
    t.mock.timers.tick(1);
    await turn();
    assert.equal(statements.length, 1);
    assert.deepEqual(
      warnings().map((w) => [w.dropped, w.maxBuffered]),
      [[1, 1]],
    );
    // nothing dropped since: no second warning
    t.mock.timers.tick(20);
    await turn();
    await recorder.stop();
    assert.equal(warnings().length, 1);
  });

  test('nothing dropped: no warning, not even at stop()', async () => {
    const { db } = fakeDb();
    const { recorder, warnings } = recorderOn(db);
    recorder.recordRequest(request('req_1'));
    await recorder.stop();
    assert.deepEqual(warnings(), []);
  });

  test('start() twice is one timer, and stop() stops it', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval'] });
    const { db, statements } = fakeDb();
    const { recorder } = recorderOn(db, { flushIntervalMs: 20 });
    recorder.start();
    recorder.start();
    await recorder.stop();
    recorder.recordRequest(request('req_after'));
    t.mock.timers.tick(100);
    await turn();
    assert.equal(statements.length, 0);
    assert.equal(recorder.buffered, 1);
  });

  test('the timer does not keep the process alive', async () => {
    const { db } = fakeDb();
    const { recorder } = recorderOn(db, { flushIntervalMs: 60_000 });
    const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timeouts();
    recorder.start();
    try {
      assert.equal(timeouts(), before);
    } finally {
      await recorder.stop();
    }
  });
});

describe('lineage recorder: attach', () => {
  function fakeClient() {
    const listeners = new Set<(a: EgressAttempt) => void>();
    const client: AttemptSource & { emit(id: string): void; listening(): number } = {
      onAttempt(listener) {
        listeners.add(listener);
        return { dispose: () => void listeners.delete(listener) };
      },
      emit: (id) => {
        for (const l of listeners) l(attempt(id));
      },
      listening: () => listeners.size,
    };
    return client;
  }

  test('once per client, however often attached; dispose() stops it, and it can be attached again', async () => {
    const { recorder } = recorderOn(fakeDb().db);
    const client = fakeClient();
    const first = recorder.attach(client);
    assert.equal(recorder.attach(client), first);
    client.emit('req_1');
    assert.equal(recorder.buffered, 1);
    first.dispose();
    assert.equal(client.listening(), 0);
    client.emit('req_2');
    assert.equal(recorder.buffered, 1);
    const again = recorder.attach(client);
    assert.notEqual(again, first);
    client.emit('req_3');
    assert.equal(recorder.buffered, 2);
  });

  test('stop() detaches every client', async () => {
    const { recorder } = recorderOn(fakeDb().db);
    const a = fakeClient();
    const b = fakeClient();
    recorder.attach(a);
    recorder.attach(b);
    await recorder.stop();
    assert.deepEqual([a.listening(), b.listening()], [0, 0]);
    a.emit('req_late');
    assert.equal(recorder.buffered, 0);
  });
});

describe('lineage recorder: what is stored', () => {
  let db: TestDatabase;
  before(async () => {
    db = await createTestDatabase({ template: 'template0' });
    await migrate(db.pool, [...lineageMigrations]);
  });
  after(() => db?.close());

  test("an attempt's error (cut at 1000 characters) and rejectedBy; refs holding the separator left out", async () => {
    const { recorder } = recorderOn(db.pool);
    recorder.recordAttempt(
      attempt('req_err', { status: 503, kind: '5xx', outcome: 'transient', error: 'HTTP 503' }),
    );
    recorder.recordAttempt(
      attempt('req_rej', {
        status: undefined,
        kind: 'rejected',
        outcome: 'transient',
        rejectedBy: 'breaker-open',
        error: 'x'.repeat(1500),
      }),
    );
    recorder.recordAttempt(attempt('req_ok'));
    recorder.recordRequest({ ...request('req_refs'), refs: ['itm_1', 'bad\x1fref', 'itm_2'] });
    await recorder.flush();
    const { rows } = await db.pool.query(
      `SELECT request_id, status, rejected_by, error FROM lineage_attempts ORDER BY request_id`,
    );
    assert.deepEqual(rows, [
      { request_id: 'req_err', status: 503, rejected_by: null, error: 'HTTP 503' },
      { request_id: 'req_ok', status: 200, rejected_by: null, error: null },
      { request_id: 'req_rej', status: null, rejected_by: 'breaker-open', error: 'x'.repeat(1000) },
    ]);
    const refs = await db.pool.query(`SELECT refs FROM lineage_requests WHERE request_id = 'req_refs'`);
    assert.deepEqual(refs.rows, [{ refs: ['itm_1', 'itm_2'] }]);
  });
});
