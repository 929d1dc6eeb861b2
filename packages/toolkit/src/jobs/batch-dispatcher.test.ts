/** The shared batch dispatcher reports what fails off the request path (with the row's id) instead of dropping it. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BackgroundErrors } from '../observability/index.ts';
import { outboxMigrations } from '../outbox/index.ts';
import { createPool, migrate } from '../postgres/index.ts';
import { createTestDatabase, eventually, type TestDatabase } from '../testing/index.ts';
import { createBatchDispatcher } from './batch-dispatcher.ts';
import { recordingErrors } from './runner-harness.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, outboxMigrations);
});
after(() => db.close());

function dispatcherOn(
  pool: Parameters<typeof createBatchDispatcher>[0]['db'],
  errors: BackgroundErrors,
  toItem = (row: Record<string, unknown>) => ({ id: row.id as string, attempts: row.attempts as number }),
) {
  return createBatchDispatcher({
    db: pool,
    errors,
    name: 'test-queue',
    table: 'outbox',
    claimable: `status = 'pending'`,
    columns: 'id, attempts',
    errorColumn: 'last_error',
    toItem,
    handle: async () => undefined,
    complete: async (q, done) => {
      await q.query(`UPDATE outbox SET status = 'delivered' WHERE id = ANY($1)`, [
        done.map((d) => d.item.id),
      ]);
    },
    exhausted: async () => {},
    idleMs: 5,
  });
}

test('a database that fails under the poll loop is reported with the dispatcher name, and the loop goes on', async () => {
  const down = createPool({ connectionString: 'postgres://nobody:x@127.0.0.1:1/none', onError: () => {} });
  const errors = recordingErrors();
  const dispatcher = dispatcherOn(down, errors);
  await dispatcher.start();
  try {
    await eventually(() => errors.seen.length >= 2, { message: 'two failed polls reported' });
    assert.equal(errors.seen[0].component, 'test-queue');
    assert.match(errors.seen[0].message, /ECONNREFUSED|connect/);
  } finally {
    await dispatcher.stop();
    await down.end();
  }
});

test('a row that cannot be read is reported; the rest of its batch is still completed', async () => {
  await db.pool.query(
    `INSERT INTO outbox (id, tenant_id, type, payload) VALUES ('evt_good', 't', 'x', '{}'), ('evt_bad', 't', 'x', '{}')`,
  );
  const errors = recordingErrors();
  const dispatcher = dispatcherOn(db.pool, errors, (row) => {
    if (row.id === 'evt_bad') throw new Error('unreadable row');
    return { id: row.id as string, attempts: row.attempts as number };
  });
  assert.equal(await dispatcher.runOnce(), 2);
  const { rows } = await db.pool.query('SELECT id, status FROM outbox ORDER BY id');
  assert.deepEqual(rows, [
    { id: 'evt_bad', status: 'pending' },
    { id: 'evt_good', status: 'delivered' },
  ]);
  assert.deepEqual(errors.seen, [
    { component: 'test-queue', message: 'unreadable row', context: { id: 'evt_bad' } },
  ]);
});

/** a dispatcher whose handler fails with `error`; what exhausted() received */
function failingOn(
  error: Error,
  options: { isBackPressure?: (e: unknown) => boolean; db?: typeof db.pool } = {},
) {
  const errors = recordingErrors();
  const exhausted: [string, string][] = [];
  const dispatcher = createBatchDispatcher({
    db: options.db ?? db.pool,
    errors,
    name: 'test-queue',
    table: 'outbox',
    claimable: `status = 'pending'`,
    columns: 'id, attempts',
    errorColumn: 'last_error',
    toItem: (row) => ({ id: row.id as string, attempts: row.attempts as number }),
    handle: async () => {
      throw error;
    },
    complete: async () => assert.fail('nothing succeeds'),
    exhausted: async (_q, item, e) => void exhausted.push([item.id, (e as Error).message]),
    maxAttempts: 2,
    baseDelayMs: 60_000,
    random: () => 1, // the whole backoff: 60 s after the first attempt
    isBackPressure: options.isBackPressure,
    backPressureDelayMs: 30_000,
    leaseMs: 5_000,
  });
  return { dispatcher, errors, exhausted };
}

// as text: a JS Date would cut the microseconds, and t1 could fall before the statement's now()
const clockNow = async () => (await db.pool.query('SELECT clock_timestamp()::text AS t')).rows[0].t as string;

/** runs the dispatcher once; the row's attempts, error and whether next_attempt_at is `delayS` after the statement */
async function runAndRead(dispatcher: { runOnce(): Promise<number> }, id: string, delayS: number) {
  // the statement's now() lies between t0 and t1, whatever the machine's load
  const t0 = await clockNow();
  const claimed = await dispatcher.runOnce();
  const t1 = await clockNow();
  const { rows } = await db.pool.query(
    `SELECT attempts, last_error,
       next_attempt_at BETWEEN $2::timestamptz + make_interval(secs => $4) AND $3::timestamptz + make_interval(secs => $4) AS on_time
     FROM outbox WHERE id = $1`,
    [id, t0, t1, delayS],
  );
  return { claimed, ...rows[0] };
}

test('a failure waits out its backoff with the error kept; the last attempt goes to exhausted()', async () => {
  await db.pool.query('TRUNCATE outbox');
  await db.pool.query(`INSERT INTO outbox (id, tenant_id, type, payload) VALUES ('evt_f', 't', 'x', '{}')`);
  const { dispatcher, errors, exhausted } = failingOn(new Error('partner said 500'));
  assert.deepEqual(await runAndRead(dispatcher, 'evt_f', 60), {
    claimed: 1,
    attempts: 1,
    last_error: 'partner said 500',
    on_time: true, // the whole 60 s backoff (random 1)
  });
  assert.equal(await dispatcher.runOnce(), 0, 'not due yet');
  await db.pool.query(`UPDATE outbox SET next_attempt_at = now() WHERE id = 'evt_f'`);
  assert.equal(await dispatcher.runOnce(), 1);
  assert.deepEqual(exhausted, [['evt_f', 'partner said 500']]);
  assert.deepEqual(errors.seen, []);
});

test('back-pressure (the partner was never reached) gives the attempt back and waits the back-pressure delay', async () => {
  await db.pool.query('TRUNCATE outbox');
  await db.pool.query(`INSERT INTO outbox (id, tenant_id, type, payload) VALUES ('evt_bp', 't', 'x', '{}')`);
  const { dispatcher, exhausted } = failingOn(new Error('breaker open'), {
    isBackPressure: (e) => (e as Error).message === 'breaker open',
  });
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await runAndRead(dispatcher, 'evt_bp', 30), {
      claimed: 1,
      attempts: 0,
      last_error: 'breaker open',
      on_time: true, // the 30 s back-pressure delay
    });
    await db.pool.query(`UPDATE outbox SET next_attempt_at = now() WHERE id = 'evt_bp'`);
  }
  assert.deepEqual(exhausted, [], 'back-pressure never uses the attempts up');
});

test('a failure that cannot be recorded is reported; the lease brings the row back', async () => {
  await db.pool.query('TRUNCATE outbox');
  await db.pool.query(
    `INSERT INTO outbox (id, tenant_id, type, payload) VALUES ('evt_lost', 't', 'x', '{}')`,
  );
  // the claim works, recording the failure does not
  const flaky = {
    query: (text: string, values: unknown[]) =>
      text.startsWith('UPDATE outbox SET next_attempt_at')
        ? Promise.reject(new Error('connection lost'))
        : db.pool.query(text, values),
  };
  const { dispatcher, errors } = failingOn(new Error('partner said 500'), { db: flaky as never });
  assert.deepEqual(await runAndRead(dispatcher, 'evt_lost', 5), {
    claimed: 1,
    attempts: 1,
    last_error: null,
    on_time: true, // the claim's 5 s lease, untouched
  });
  assert.deepEqual(errors.seen, [
    { component: 'test-queue', message: 'connection lost', context: { id: 'evt_lost' } },
  ]);
});
