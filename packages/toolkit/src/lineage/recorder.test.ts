/** The recorder's promises: one INSERT per table per flush, a bounded buffer that counts what it drops, failed flushes kept. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { createBackgroundErrors, createLogger } from '../observability/index.ts';
import { migrate, type Queryable } from '../postgres/index.ts';
import type { EgressAttempt } from '../resilience/index.ts';
import { createLogCapture, createTestDatabase, type TestDatabase } from '../testing/index.ts';
import { lineageMigrations } from './migrations.ts';
import { createLineageRecorder } from './recorder.ts';
import { attempt as harnessAttempt } from './recorder-harness.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...lineageMigrations]);
});
after(() => db?.close());

/** the real pool, with every statement counted */
function countingDb(inner: Queryable) {
  const statements: string[] = [];
  const wrapped = {
    query: ((text: string, values?: unknown[]) => {
      statements.push(text);
      return inner.query(text, values);
    }) as Queryable['query'],
  };
  return { db: wrapped, statements };
}

const attempt = (n: number): EgressAttempt => harnessAttempt(`req_b${n}`, { idempotencyKey: `k:${n}` });
const request = (n: number) => ({
  requestId: `req_b${n}`,
  method: 'POST',
  route: '/items',
  status: 201,
  durationMs: 2,
  refs: [`itm_${n}`, `res_${n}`],
});
const count = async (table: string, where = 'true') =>
  (await db.pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`)).rows[0].n as number;

describe('lineage recorder', () => {
  test('300 requests and 200 attempts go in one INSERT per table', async () => {
    const { db: counted, statements } = countingDb(db.pool);
    const log = createLogger({ level: 'silent' });
    const recorder = createLineageRecorder({
      db: counted,
      log,
      errors: createBackgroundErrors({ log }),
      batchSize: 1000,
    });
    for (let i = 0; i < 300; i++) recorder.recordRequest(request(i));
    for (let i = 0; i < 200; i++) recorder.recordAttempt(attempt(i));
    assert.equal(statements.length, 0, 'nothing is written on the hot path');
    await recorder.flush();
    assert.equal(statements.length, 2);
    assert.equal(await count('lineage_requests', "request_id LIKE 'req_b%'"), 300);
    assert.equal(await count('lineage_attempts', "request_id LIKE 'req_b%'"), 200);
    const { rows } = await db.pool.query(`SELECT refs FROM lineage_requests WHERE request_id = 'req_b7'`);
    assert.deepEqual(rows, [{ refs: ['itm_7', 'res_7'] }]);
  });

  test('a full batch is written at once, without waiting for the interval', async () => {
    const { db: counted, statements } = countingDb(db.pool);
    const log = createLogger({ level: 'silent' });
    const recorder = createLineageRecorder({
      db: counted,
      log,
      errors: createBackgroundErrors({ log }),
      batchSize: 50,
      flushIntervalMs: 3_600_000,
    });
    recorder.start();
    for (let i = 0; i < 120; i++) recorder.recordAttempt({ ...attempt(i), requestId: `req_full${i}` });
    await recorder.flush(); // waits for the batch already under way
    assert.ok(recorder.buffered <= 20, `buffered ${recorder.buffered}`);
    assert.ok(statements.length >= 2 && statements.length <= 3, `${statements.length} statements`);
    await recorder.stop();
    assert.equal(await count('lineage_attempts', "request_id LIKE 'req_full%'"), 120);
  });

  test('beyond maxBuffered new rows are dropped, counted, and warned about once', async () => {
    const logs = createLogCapture();
    const log = createLogger({ destination: logs.stream });
    const registry = new Registry();
    const recorder = createLineageRecorder({
      db: db.pool,
      log,
      errors: createBackgroundErrors({ log }),
      maxBuffered: 10,
      batchSize: 1000,
      registry,
    });
    for (let i = 0; i < 8; i++) recorder.recordRequest({ ...request(i), requestId: `req_cap${i}` });
    for (let i = 0; i < 7; i++) recorder.recordAttempt({ ...attempt(i), requestId: `req_cap${i}` });
    assert.equal(recorder.buffered, 10);
    assert.equal(recorder.dropped, 5);
    const metric = await registry.getSingleMetric('steadfast_lineage_dropped_total')?.get();
    assert.deepEqual(
      metric?.values.map((v) => [v.labels.table, v.value]),
      [['attempts', 5]],
    );
    await recorder.stop();
    const warnings = logs.lines().filter((l) => String(l.msg).startsWith('lineage buffer full'));
    assert.equal(warnings.length, 1, 'one summary line, not one per row');
    assert.equal(warnings[0].dropped, 5);
    assert.equal(await count('lineage_requests', "request_id LIKE 'req_cap%'"), 8);
    assert.equal(await count('lineage_attempts', "request_id LIKE 'req_cap%'"), 2);
  });

  test('a failed flush is reported and its rows kept, within the bound, for the next try', async () => {
    let down = true;
    const flaky: Queryable = {
      query: ((text: string, values?: unknown[]) =>
        down
          ? Promise.reject(new Error('connection refused'))
          : db.pool.query(text, values)) as Queryable['query'],
    };
    const reports: { component: string; error: unknown }[] = [];
    const recorder = createLineageRecorder({
      db: flaky,
      log: createLogger({ level: 'silent' }),
      errors: { report: (component, error) => void reports.push({ component, error }) },
      maxBuffered: 6,
      batchSize: 4,
    });
    for (let i = 0; i < 4; i++) recorder.recordRequest({ ...request(i), requestId: `req_flaky${i}` });
    await recorder.flush();
    assert.equal(reports.length, 1);
    assert.equal(reports[0].component, 'lineage');
    assert.match(String(reports[0].error), /connection refused/);
    assert.equal(recorder.buffered, 4, 'kept for the next try');
    for (let i = 4; i < 9; i++) recorder.recordRequest({ ...request(i), requestId: `req_flaky${i}` });
    assert.equal(recorder.buffered, 6, 'still bounded');
    assert.equal(recorder.dropped, 3);
    down = false;
    await recorder.stop();
    assert.equal(recorder.buffered, 0);
    assert.equal(await count('lineage_requests', "request_id LIKE 'req_flaky%'"), 6);
  });
});
