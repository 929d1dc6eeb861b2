import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { reapOutbox, writeOutboxEvent } from '../outbox/index.ts';
import { ALL_TENANTS } from '../postgres/index.ts';
import { createTestDatabase, eventually, type TestDatabase } from '../testing/index.ts';
import { createOperation, findOperation, reapOperations, updateOperation } from './store.ts';
import { createOperationWaiter } from './waiter.ts';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.close());

let n = 0;
const newOp = () => createOperation(db.pool, { id: `op_test${++n}`, tenantId: 'ten_a', kind: 'payment' });

test('a waiter wakes when the operation ends (NOTIFY), not by polling', async () => {
  const waiter = createOperationWaiter(db.pool);
  try {
    const op = await newOp();
    const started = Date.now();
    const waiting = waiter.wait(op.id, 'ten_a', 10_000);
    setTimeout(
      () => void updateOperation(db.pool, op.id, { status: 'succeeded', result: { ok: true } }),
      100,
    );
    const ended = await waiting;
    assert.equal(ended?.status, 'succeeded');
    assert.ok(Date.now() - started < 5000);
  } finally {
    await waiter.close();
  }
});

test('a waiter gives up after its time with the current state; another tenant sees nothing', async () => {
  const waiter = createOperationWaiter(db.pool);
  try {
    const op = await newOp();
    assert.equal((await waiter.wait(op.id, 'ten_a', 150))?.status, 'pending');
    assert.equal(await waiter.wait(op.id, 'ten_b', 150), undefined);
  } finally {
    await waiter.close();
  }
});

test('the LISTEN connection dies mid-wait: the waiter listens again and still sees the end', async () => {
  const waiter = createOperationWaiter(db.pool);
  try {
    const op = await newOp();
    const waiting = waiter.wait(op.id, 'ten_a', 20_000);
    const listening = async () =>
      (
        await db.pool.query(
          `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN steadfast_operations'`,
        )
      ).rows.map((r) => r.pid as number);
    await eventually(async () => (await listening()).length === 1, { message: 'the waiter never listened' });
    const [first] = await listening();
    await db.pool.query('SELECT pg_terminate_backend($1)', [first]);
    // a new LISTEN connection, then the end is notified there
    await eventually(async () => {
      const now = await listening();
      return now.length === 1 && now[0] !== first;
    });
    await updateOperation(db.pool, op.id, { status: 'succeeded' });
    assert.equal((await waiting)?.status, 'succeeded');
  } finally {
    await waiter.close();
  }
});

test('close() before any wait is a no-op; after a wait it releases the LISTEN connection', async () => {
  const idle = createOperationWaiter(db.pool);
  await idle.close();
  const waiter = createOperationWaiter(db.pool);
  const op = await newOp();
  await updateOperation(db.pool, op.id, { status: 'canceled' });
  assert.equal((await waiter.wait(op.id, 'ten_a', 1000))?.status, 'canceled', 'an ended operation at once');
  await waiter.close();
  await waiter.close();
});

test('terminal states are final', async () => {
  const op = await newOp();
  await updateOperation(db.pool, op.id, { status: 'failed', error: { type: '/problems/x' } });
  assert.equal(await updateOperation(db.pool, op.id, { status: 'succeeded' }), undefined);
  assert.equal((await findOperation(db.pool, op.id, ALL_TENANTS))?.status, 'failed');
});

test('finished operations and delivered outbox rows are reaped after the retention, nothing else', async () => {
  const done = await newOp();
  const running = await newOp();
  await updateOperation(db.pool, done.id, { status: 'succeeded' });
  await updateOperation(db.pool, running.id, { status: 'running' });
  await db.pool.query(`UPDATE operations SET finished_at = now() - interval '31 days' WHERE id = $1`, [
    done.id,
  ]);
  await writeOutboxEvent(db.pool, { id: 'evt_old', tenantId: 'ten_a', type: 'order.paid', payload: {} });
  await writeOutboxEvent(db.pool, { id: 'evt_pending', tenantId: 'ten_a', type: 'order.paid', payload: {} });
  await db.pool.query(
    `UPDATE outbox SET status = 'delivered', delivered_at = now() - interval '31 days' WHERE id = 'evt_old'`,
  );
  // finished 2 days ago: within the retention, kept
  const recent = await newOp();
  await updateOperation(db.pool, recent.id, { status: 'succeeded' });
  await db.pool.query(`UPDATE operations SET finished_at = now() - interval '2 days' WHERE id = $1`, [
    recent.id,
  ]);
  const thirtyDays = 30 * 86400;
  assert.equal(await reapOperations(db.pool, thirtyDays), 1);
  assert.ok(await findOperation(db.pool, recent.id, ALL_TENANTS), 'within the retention: kept');
  assert.equal(await reapOutbox(db.pool, thirtyDays), 1);
  assert.ok(await findOperation(db.pool, running.id, ALL_TENANTS));
  const { rows } = await db.pool.query('SELECT id FROM outbox');
  assert.deepEqual(
    rows.map((r) => r.id),
    ['evt_pending'],
  );
});
