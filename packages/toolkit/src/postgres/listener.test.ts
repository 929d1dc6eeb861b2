/** createNotificationListener: delivers, reconnects after its connection is killed (and says so), stops cleanly. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createBackgroundErrors, createLogger } from '@steadfast/toolkit/observability';
import { createNotificationListener, createPool, type Pool } from '@steadfast/toolkit/postgres';
import {
  createLogCapture,
  createTestDatabase,
  eventually,
  type TestDatabase,
} from '@steadfast/toolkit/testing';

let db: TestDatabase;
let pool: Pool;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  pool = createPool({
    connectionString: db.url,
    max: 2,
    applicationName: 'listener-test',
    onError: () => {},
  });
});
after(async () => {
  await pool?.end();
  await db?.close();
});

function errorsCapture() {
  const logs = createLogCapture();
  return {
    logs,
    errors: createBackgroundErrors({ log: createLogger({ level: 'warn', destination: logs.stream }) }),
  };
}

test('delivers payloads, listens again after the server killed its connection, and calls onReconnect', async () => {
  const { logs, errors } = errorsCapture();
  const received: string[] = [];
  let resyncs = 0;
  const listener = createNotificationListener({
    pool,
    channel: 'listener_test',
    onNotification: (payload) => received.push(payload),
    onReconnect: () => resyncs++,
    errors,
    retryMinMs: 10,
  });
  await listener.start();
  assert.equal(listener.listening(), true);
  await db.pool.query("SELECT pg_notify('listener_test', 'one'), pg_notify('other_channel', 'x')");
  await eventually(() => received.length === 1);
  assert.deepEqual(received, ['one']);
  assert.equal(resyncs, 0, 'the first LISTEN is not a reconnect');

  const killed = await db.pool.query(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'listener-test' AND query LIKE 'LISTEN%'",
  );
  assert.equal(killed.rowCount, 1);
  await eventually(() => listener.reconnects() === 1 && listener.listening());
  assert.equal(resyncs, 1);
  assert.match(logs.text(), /"component":"listener:listener_test"/);
  await db.pool.query("SELECT pg_notify('listener_test', 'two')");
  await eventually(() => received.length === 2);
  assert.deepEqual(received, ['one', 'two']);

  await listener.stop();
  assert.equal(listener.listening(), false);
  // the backend leaves pg_stat_activity a moment after the socket closes
  await eventually(
    async () => {
      const { rows } = await db.pool.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'listener-test' AND query LIKE 'LISTEN%'",
      );
      return rows[0].n === 0;
    },
    { message: 'the LISTEN connection is closed, not pooled' },
  );
  assert.equal(pool.totalCount, pool.idleCount, 'no LISTEN client is kept checked out');
});

test('a failed start is reported and retried; a throwing handler is reported, not fatal', async () => {
  const { logs, errors } = errorsCapture();
  const unreachable = createPool({
    connectionString: 'postgres://nobody@127.0.0.1:1/none',
    connectTimeoutMs: 500,
  });
  const listener = createNotificationListener({
    pool: unreachable,
    channel: 'listener_down',
    onNotification: () => {},
    errors,
    retryMinMs: 10,
  });
  await listener.start();
  assert.equal(listener.listening(), false);
  await eventually(() => (logs.text().match(/listener:listener_down failed/g) ?? []).length >= 2, {
    message: 'the listener did not retry',
  });
  await listener.stop();
  await unreachable.end();

  const throwing = createNotificationListener({
    pool,
    channel: 'listener_throws',
    onNotification: () => {
      throw new Error('handler broke');
    },
    errors,
  });
  await throwing.start();
  await db.pool.query("SELECT pg_notify('listener_throws', 'x')");
  await eventually(() => logs.text().includes('handler broke'));
  assert.equal(throwing.listening(), true);
  await throwing.stop();
  assert.throws(
    () => createNotificationListener({ pool, channel: 'bad; DROP', onNotification: () => {}, errors }),
    /not a plain identifier/,
  );
});
