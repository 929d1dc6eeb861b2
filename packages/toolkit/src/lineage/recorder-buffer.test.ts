/**
 * The recorder against a stand-in database: when a batch is written at once
 * (and only then), the drain of a full buffer, the bound kept after a failed
 * write and the reports. The timer, attach/dispose and the stored columns are
 * in recorder-timer.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { attempt, fakeDb, recorderOn, request, settle } from './recorder-harness.ts';

describe('lineage recorder: writes at once only for a full batch', () => {
  test('below a batch nothing is written until a flush; a full batch of requests is written at once', async () => {
    const { db, statements } = fakeDb();
    const { recorder } = recorderOn(db, { batchSize: 3 });
    recorder.recordRequest(request('req_1'));
    recorder.recordRequest(request('req_2'));
    await settle();
    assert.equal(statements.length, 0, 'two of three: waits for the interval');
    recorder.recordRequest(request('req_3'));
    await settle();
    assert.deepEqual(statements, [{ table: 'lineage_requests', ids: ['req_1', 'req_2', 'req_3'] }]);
    // and again: the next full batch is written at once too
    for (let i = 4; i <= 6; i++) recorder.recordRequest(request(`req_${i}`));
    await settle();
    assert.equal(statements.length, 2);
    assert.equal(recorder.buffered, 0);
  });

  test('the same for attempts', async () => {
    const { db, statements } = fakeDb();
    const { recorder } = recorderOn(db, { batchSize: 3 });
    recorder.recordAttempt(attempt('req_1'));
    recorder.recordAttempt(attempt('req_2'));
    await settle();
    assert.equal(statements.length, 0, 'two of three: waits for the interval');
    recorder.recordAttempt(attempt('req_3'));
    await settle();
    assert.deepEqual(statements, [{ table: 'lineage_attempts', ids: ['req_1', 'req_2', 'req_3'] }]);
  });

  test('rows recorded past a full batch in the same turn ask for no second write', async () => {
    // the database is down: a second write would show as a second statement
    const { db, statements } = fakeDb(() => 'fail');
    const { recorder, reports } = recorderOn(db, { batchSize: 2 });
    for (let i = 0; i < 5; i++) recorder.recordRequest(request(`req_${i}`));
    await settle();
    assert.equal(statements.length, 1);
    assert.equal(reports.length, 1);
    assert.equal(recorder.buffered, 5, 'kept for the next try');
  });
});

describe('lineage recorder: a write under way', () => {
  test('rows recorded meanwhile are drained batch after batch when it ends, requests and attempts alike', async () => {
    for (const table of ['lineage_requests', 'lineage_attempts']) {
      const gate = Promise.withResolvers<void>();
      const { db, statements } = fakeDb((_table, n) => (n === 1 ? gate.promise : undefined));
      const { recorder } = recorderOn(db, { batchSize: 2 });
      recorder.recordRequest(request('req_first'));
      const flushed = recorder.flush();
      await turn(); // the first INSERT is under way
      for (let i = 0; i < 4; i++)
        if (table === 'lineage_requests') recorder.recordRequest(request(`req_${i}`));
        else recorder.recordAttempt(attempt(`req_${i}`));
      gate.resolve();
      await flushed;
      assert.equal(recorder.buffered, 0, table);
      assert.deepEqual(
        statements.map((s) => [s.table, s.ids.length]),
        [
          ['lineage_requests', 1],
          [table, 2],
          [table, 2],
        ],
      );
    }
  });

  test('after a failed write no next batch is tried at once', async () => {
    const gate = Promise.withResolvers<void>();
    // the first statement waits; the first attempts INSERT fails; everything else works
    let attemptsTried = 0;
    const { db, statements } = fakeDb((table, n) => {
      if (n === 1) return gate.promise;
      if (table === 'lineage_attempts' && attemptsTried++ === 0) return 'fail';
      return undefined;
    });
    const { recorder, reports } = recorderOn(db, { batchSize: 2 });
    recorder.recordRequest(request('req_first'));
    const flushed = recorder.flush();
    await turn(); // the first INSERT is under way
    recorder.recordAttempt(attempt('req_a'));
    recorder.recordAttempt(attempt('req_b'));
    gate.resolve();
    await flushed;
    assert.deepEqual(
      statements.map((s) => s.table),
      ['lineage_requests', 'lineage_attempts'],
    );
    assert.deepEqual(reports, [{ component: 'lineage', details: { table: 'lineage_attempts', rows: 2 } }]);
    assert.equal(recorder.buffered, 2, 'kept for the next try');
  });

  test('a failed requests INSERT is reported with its table and row count', async () => {
    const { db } = fakeDb((table) => (table === 'lineage_requests' ? 'fail' : undefined));
    const { recorder, reports } = recorderOn(db);
    recorder.recordRequest(request('req_1'));
    recorder.recordRequest(request('req_2'));
    recorder.recordAttempt(attempt('req_1'));
    await recorder.flush();
    assert.deepEqual(reports, [{ component: 'lineage', details: { table: 'lineage_requests', rows: 2 } }]);
    assert.equal(recorder.buffered, 2, 'the requests wait, the attempt went');
  });
});

describe('lineage recorder: the bound after a failed write', () => {
  /**
   * `first` is being written (its requests INSERT waits, then fails) while
   * `meanwhile` is recorded; the failed rows come back and the buffer is cut
   * to maxBuffered 6, attempts first, newest first. Then the database works
   * again and what is left is written.
   */
  async function overflow(first: { requests: number; attempts: number }, meanwhile: typeof first) {
    const gate = Promise.withResolvers<void>();
    let down = true;
    const { db, statements } = fakeDb((table, n) =>
      n === 1 ? gate.promise : down && table === 'lineage_requests' ? 'fail' : undefined,
    );
    const { recorder, droppedByTable } = recorderOn(db, { maxBuffered: 6, batchSize: 100 });
    const record = (batch: typeof first, tag: string) => {
      for (let i = 0; i < batch.requests; i++) recorder.recordRequest(request(`${tag}_r${i}`));
      for (let i = 0; i < batch.attempts; i++) recorder.recordAttempt(attempt(`${tag}_a${i}`));
    };
    record(first, 'first');
    const flushed = recorder.flush();
    await turn(); // the first INSERT is under way
    record(meanwhile, 'later');
    gate.reject(new Error('connection lost'));
    await flushed;
    const kept = { buffered: recorder.buffered, dropped: recorder.dropped, byTable: await droppedByTable() };
    down = false;
    const before = statements.length;
    await recorder.flush();
    const written = statements.slice(before).flatMap((s) => s.ids);
    return { ...kept, written };
  }

  test('fewer over than attempts waiting: only the newest attempts go', async () => {
    const result = await overflow({ requests: 3, attempts: 1 }, { requests: 1, attempts: 4 });
    // 4 requests back + 4 attempts = 8: 2 over, both attempts
    assert.deepEqual(result, {
      buffered: 6,
      dropped: 2,
      byTable: [['attempts', 2]],
      written: ['first_r0', 'first_r1', 'first_r2', 'later_r0', 'later_a0', 'later_a1'],
    });
  });

  test('more over than attempts waiting: every attempt goes, then the newest requests', async () => {
    const result = await overflow({ requests: 4, attempts: 0 }, { requests: 3, attempts: 1 });
    // 7 requests back + 1 attempt = 8: 2 over, the attempt and one request
    assert.deepEqual(result, {
      buffered: 6,
      dropped: 2,
      byTable: [
        ['attempts', 1],
        ['requests', 1],
      ],
      written: ['first_r0', 'first_r1', 'first_r2', 'first_r3', 'later_r0', 'later_r1'],
    });
  });

  test('no attempts waiting: only requests go, and no attempt is counted', async () => {
    const result = await overflow({ requests: 4, attempts: 0 }, { requests: 4, attempts: 0 });
    assert.deepEqual(result, {
      buffered: 6,
      dropped: 2,
      byTable: [['requests', 2]],
      written: ['first_r0', 'first_r1', 'first_r2', 'first_r3', 'later_r0', 'later_r1'],
    });
  });

  test('a request dropped at a full buffer is counted as a request', async () => {
    const { db } = fakeDb();
    const { recorder, droppedByTable } = recorderOn(db, { maxBuffered: 1 });
    recorder.recordRequest(request('req_1'));
    recorder.recordRequest(request('req_2'));
    assert.deepEqual(await droppedByTable(), [['requests', 1]]);
  });
});
