/** Usage of @steadfast/toolkit/outbox: events written with their change, delivered, retried, then dead. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createBackgroundErrors, createLogger } from '@steadfast/toolkit/observability';
import {
  createOutboxDispatcher,
  type DispatcherOptions,
  type OutboxEvent,
  outboxMigrations,
  reapOutbox,
  requeueOutboxEvent,
  writeOutboxEvent,
} from '@steadfast/toolkit/outbox';
import { migrate, withTransaction } from '@steadfast/toolkit/postgres';
import {
  createLogCapture,
  createTestDatabase,
  eventually,
  type TestDatabase,
} from '@steadfast/toolkit/testing';

let db: TestDatabase;

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await migrate(db.pool, [...outboxMigrations]);
  await db.pool.query('CREATE TABLE invoices (id text PRIMARY KEY, amount integer NOT NULL)'); // the app's own table
});
after(() => db?.close());

/** stands in for your partner client; it must accept a key so a repeated delivery is one message */
const messaging = {
  sent: [] as { key: string; type: string }[],
  async send(message: { key: string; type: string; data: unknown }) {
    this.sent.push({ key: message.key, type: message.type });
  },
};

const rowOf = async (id: string) =>
  (await db.pool.query('SELECT status, attempts, last_error FROM outbox WHERE id = $1', [id])).rows[0];

/** a dispatcher driven by hand with runOnce(): three attempts, no backoff pause between them */
function failingDispatcher(
  deliver: (event: OutboxEvent) => Promise<void>,
  extra: Partial<DispatcherOptions>,
) {
  const log = createLogger({ level: 'silent' });
  return createOutboxDispatcher({
    db: db.pool,
    log,
    errors: createBackgroundErrors({ log }),
    deliver,
    maxAttempts: 3,
    random: () => 0,
    ...extra,
  });
}

describe('outbox', () => {
  test('an event written with its change is delivered once by the dispatcher', async (t) => {
    const pool = db.pool;
    // docs:start write
    await withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO invoices (id, amount) VALUES ($1, $2)', ['inv_1', 1200]);
      await writeOutboxEvent(tx, {
        id: 'evt_inv_1_created', // your id: stable, unique
        tenantId: 'default',
        type: 'invoice.created',
        payload: { invoiceId: 'inv_1' },
      });
    });
    // docs:end write

    // docs:start dispatcher
    const log = createLogger();
    const dispatcher = createOutboxDispatcher({
      db: pool,
      log,
      errors: createBackgroundErrors({ log }),
      // at least once: the stable key makes a repeated delivery one message
      deliver: (event) => messaging.send({ key: event.id, type: event.type, data: event.payload }),
    });
    await dispatcher.start(); // checks outboxMigrations, then polls for due events
    // on shutdown: await dispatcher.stop();
    // docs:end dispatcher
    t.after(() => dispatcher.stop());

    await eventually(async () => (await rowOf('evt_inv_1_created')).status === 'delivered');
    await dispatcher.stop();
    assert.deepEqual(messaging.sent, [{ key: 'evt_inv_1_created', type: 'invoice.created' }]);
  });

  test('an event whose transaction rolled back never exists', async () => {
    await assert.rejects(
      withTransaction(db.pool, async (tx) => {
        await writeOutboxEvent(tx, { id: 'evt_rolled_back', tenantId: 'default', type: 'x', payload: {} });
        throw new Error('the change failed');
      }),
    );
    assert.equal(await rowOf('evt_rolled_back'), undefined);
  });

  test('a failing delivery is retried, then marked dead and handed to onDead', async () => {
    const attempts: number[] = [];
    const dead: string[] = [];
    const logs = createLogCapture();
    const failing = failingDispatcher(
      async (event) => {
        attempts.push(event.attempts);
        throw new Error('messaging is down');
      },
      { log: createLogger({ destination: logs.stream }), onDead: async (event) => void dead.push(event.id) },
    );
    await writeOutboxEvent(db.pool, { id: 'evt_doomed', tenantId: 'default', type: 'x', payload: {} });

    assert.equal(await failing.runOnce(), 1);
    assert.deepEqual(await rowOf('evt_doomed'), {
      status: 'pending',
      attempts: 1,
      last_error: 'messaging is down',
    });
    assert.equal(await failing.runOnce(), 1);
    assert.equal(await failing.runOnce(), 1);
    assert.equal(await failing.runOnce(), 0, 'a dead event is not claimed again');

    assert.deepEqual(attempts, [1, 2, 3]);
    assert.deepEqual(await rowOf('evt_doomed'), {
      status: 'dead',
      attempts: 3,
      last_error: 'messaging is down',
    });
    assert.deepEqual(dead, ['evt_doomed']);
    assert.ok(logs.lines().some((l) => l.msg === 'outbox event dead' && l.eventId === 'evt_doomed'));
  });

  test('without onDead a dead event is still marked dead, and nothing is reported', async () => {
    const reported: string[] = [];
    const log = createLogger({ level: 'silent' });
    const dispatcher = createOutboxDispatcher({
      db: db.pool,
      log,
      errors: { report: (component) => void reported.push(component) },
      deliver: async () => {
        throw new Error('partner gone');
      },
      maxAttempts: 1,
    });
    await writeOutboxEvent(db.pool, { id: 'evt_no_hook', tenantId: 'default', type: 'x', payload: {} });
    assert.equal(await dispatcher.runOnce(), 1);
    assert.deepEqual(await rowOf('evt_no_hook'), { status: 'dead', attempts: 1, last_error: 'partner gone' });
    assert.deepEqual(reported, []);
    await db.pool.query(
      `UPDATE outbox SET status = 'delivered', delivered_at = now() WHERE id = 'evt_no_hook'`,
    );
  });

  test('back-pressure (the partner was never reached) waits without spending an attempt', async () => {
    class CircuitOpen extends Error {}
    const waiting = failingDispatcher(
      async () => {
        throw new CircuitOpen('breaker open');
      },
      { isBackPressure: (error: unknown) => error instanceof CircuitOpen, backPressureDelayMs: 60_000 },
    );
    await writeOutboxEvent(db.pool, { id: 'evt_held', tenantId: 'default', type: 'x', payload: {} });
    assert.equal(await waiting.runOnce(), 1);
    assert.deepEqual(await rowOf('evt_held'), { status: 'pending', attempts: 0, last_error: 'breaker open' });
    assert.equal(await waiting.runOnce(), 0, 'not due again before backPressureDelayMs');
    await db.pool.query(`UPDATE outbox SET status = 'delivered', delivered_at = now() WHERE id = 'evt_held'`);
  });

  test('delivered events are reaped after the retention; pending and dead ones stay', async () => {
    await writeOutboxEvent(db.pool, { id: 'evt_old', tenantId: 'default', type: 'x', payload: {} });
    await db.pool.query(
      `UPDATE outbox SET status = 'delivered', delivered_at = now() - interval '8 days' WHERE id = 'evt_old'`,
    );
    await writeOutboxEvent(db.pool, { id: 'evt_recent', tenantId: 'default', type: 'x', payload: {} });
    await db.pool.query(
      `UPDATE outbox SET status = 'delivered', delivered_at = now() - interval '2 days' WHERE id = 'evt_recent'`,
    );
    assert.equal(await reapOutbox(db.pool, 7 * 86_400), 1);
    assert.equal(await rowOf('evt_old'), undefined);
    assert.equal((await rowOf('evt_recent')).status, 'delivered', 'within the retention: kept');
    assert.equal((await rowOf('evt_doomed')).status, 'dead');
  });

  test('a dead event can be replayed once: requeued with fresh attempts, then delivered', async () => {
    await writeOutboxEvent(db.pool, { id: 'evt_replayed', tenantId: 'default', type: 'x', payload: {} });
    await db.pool.query(`UPDATE outbox SET status = 'dead', attempts = 3 WHERE id = 'evt_replayed'`);
    assert.deepEqual(await requeueOutboxEvent(db.pool, 'evt_replayed'), { id: 'evt_replayed' });
    assert.equal(
      await requeueOutboxEvent(db.pool, 'evt_replayed'),
      undefined,
      'only a dead event is requeued',
    );
    assert.equal(await requeueOutboxEvent(db.pool, 'evt_unknown'), undefined);
    assert.deepEqual(await rowOf('evt_replayed'), { status: 'pending', attempts: 0, last_error: null });
    const delivered: string[] = [];
    const healthy = failingDispatcher(async (event) => void delivered.push(event.id), {});
    await healthy.runOnce();
    assert.ok(delivered.includes('evt_replayed'));
    assert.equal((await rowOf('evt_replayed')).status, 'delivered');
  });

  test('forgot the migration: start() fails, naming it', async () => {
    const empty = await createTestDatabase({ template: 'template0' });
    try {
      const log = createLogger({ level: 'silent' });
      const unmigrated = createOutboxDispatcher({
        db: empty.pool,
        log,
        errors: createBackgroundErrors({ log }),
        deliver: async () => {},
      });
      await assert.rejects(unmigrated.start(), {
        name: 'MigrationError',
        message: /missing migration outbox\/0001_outbox.*outboxMigrations/,
      });
    } finally {
      await empty.close();
    }
  });
});
