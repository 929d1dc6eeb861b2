/**
 * The engine's run() under real races, on real Postgres, with two app
 * instances ("processes") sharing one database: a first request that outlives
 * its lease and is taken over must not commit; a lease is renewed while the
 * handler runs; duplicates of a slow first request get 409 + Retry-After; a
 * handler's plain Error (or a fault after the claim) releases the key and
 * stores nothing.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { createFaultPoints, type FaultPoints } from '@steadfast/toolkit/faults';
import {
  createIdempotencyEngine,
  createIdempotencyMetrics,
  idempotency,
  idempotencyMigrations,
  idempotencyProblems,
} from '@steadfast/toolkit/idempotency';
import { createBackgroundErrors, createHttpMetrics, createLogger } from '@steadfast/toolkit/observability';
import { migrate } from '@steadfast/toolkit/postgres';
import { coreProblems, createProblemRegistry, problems } from '@steadfast/toolkit/problems';
import { createTestDatabase, eventually, metricByLabel, type TestDatabase } from '@steadfast/toolkit/testing';
import Fastify, { type FastifyInstance } from 'fastify';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  await db.pool.query('CREATE TABLE notes (id bigserial PRIMARY KEY, text text NOT NULL, run text NOT NULL)');
  await migrate(db.pool, [...idempotencyMigrations]);
});
after(() => db?.close());

const apps: FastifyInstance[] = [];
afterEach(async () => {
  // a failed test may leave a run held: let it go, so one failure does not hang the rest
  for (const h of holds.values()) h.release.open();
  holds.clear();
  await Promise.all(apps.splice(0).map((a) => a.close()));
  await db.pool.query('TRUNCATE notes, idempotency_keys');
});

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** Runs named by `x-run` can be held: the handler has inserted its note and waits for the test. */
const holds = new Map<string, { entered: ReturnType<typeof gate>; release: ReturnType<typeof gate> }>();
function hold(run: string) {
  const h = { entered: gate(), release: gate() };
  holds.set(run, h);
  return h;
}

/** One app instance: a process of its own as far as the engine knows (instance id, metrics). */
async function instance(
  options: { instanceId: string; leaseS?: number; waitMs?: number; faults?: FaultPoints } = {
    instanceId: 'a',
  },
) {
  const metrics = createHttpMetrics();
  const registry = createProblemRegistry(coreProblems, idempotencyProblems);
  const app = Fastify();
  await app.register(problems, { registry });
  await app.register(idempotency, { db: db.pool, tenantOf: () => 'default' });
  const counter = createIdempotencyMetrics(metrics.registry).requests;
  const engine = createIdempotencyEngine({
    db: db.pool,
    registry,
    counter,
    retentionS: 86_400,
    leaseS: options.leaseS ?? 30,
    waitMs: options.waitMs ?? 100,
    instanceId: options.instanceId,
    faults: options.faults,
    errors: createBackgroundErrors({ log: createLogger({ level: 'silent' }), registry: metrics.registry }),
  });
  app.post<{ Body: { text: string } }>('/notes', { config: { idempotency: true } }, (request, reply) =>
    engine.run(request, reply, async (tx) => {
      const run = String(request.headers['x-run'] ?? 'run');
      const { rows } = await tx.query(
        'INSERT INTO notes (text, run) VALUES ($1, $2) RETURNING id, text, run',
        [request.body.text, run],
      );
      const h = holds.get(run);
      if (h) {
        h.entered.open();
        await h.release.opened;
      }
      if (request.body.text === 'boom') throw new Error('a bug in the handler');
      return { status: 201, body: { text: rows[0].text, run: rows[0].run } };
    }),
  );
  await app.ready();
  apps.push(app);
  const outcomes = () => metricByLabel(counter, 'outcome');
  return { app, outcomes };
}

const post = (app: FastifyInstance, key: string, run: string, text = 'hello') =>
  app.inject({
    method: 'POST',
    url: '/notes',
    headers: { 'idempotency-key': key, 'x-run': run },
    payload: { text },
  });

async function notes(): Promise<string[]> {
  const { rows } = await db.pool.query<{ run: string }>('SELECT run FROM notes ORDER BY id');
  return rows.map((r) => r.run);
}
async function keyRow(key: string) {
  const { rows } = await db.pool.query<{
    state: string;
    owner: string | null;
    lease_expires_at: Date | null;
    takeovers: number;
  }>('SELECT state, owner, lease_expires_at, takeovers FROM idempotency_keys WHERE key = $1', [key]);
  return rows[0];
}

describe('a first request that outlives its lease', () => {
  test('is taken over by another instance and must not commit: one note, the second run’s answer', async () => {
    const a = await instance({ instanceId: 'a' });
    const b = await instance({ instanceId: 'b' });
    const first = hold('first');
    const slow = post(a.app, 'k-lease', 'first');
    await first.entered.opened;
    assert.equal((await keyRow('k-lease'))?.owner?.startsWith('a:'), true);
    // the first owner stalls past its lease (as if its process froze)
    await db.pool.query(
      `UPDATE idempotency_keys SET lease_expires_at = now() - interval '1 second' WHERE key = 'k-lease'`,
    );
    const second = await post(b.app, 'k-lease', 'second');
    assert.equal(second.statusCode, 201);
    assert.deepEqual(second.json(), { text: 'hello', run: 'second' });
    assert.equal((await keyRow('k-lease'))?.takeovers, 1);
    assert.deepEqual(await b.outcomes(), { taken_over: 1 });

    first.release.open();
    const lost = await slow;
    assert.equal(lost.statusCode, 409);
    assert.equal(lost.headers['retry-after'], '1');
    assert.equal(lost.json().type, '/problems/idempotency-request-in-flight');
    assert.deepEqual(await notes(), ['second'], 'the first run’s insert was rolled back');
    assert.equal((await keyRow('k-lease'))?.state, 'completed');

    const replay = await post(a.app, 'k-lease', 'third');
    assert.equal(replay.statusCode, 201);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.deepEqual(replay.json(), { text: 'hello', run: 'second' });
    assert.deepEqual(await notes(), ['second']);
  });

  test('taken over while the new owner still runs: the first finds the claim not its own and rolls back', async () => {
    const a = await instance({ instanceId: 'a' });
    const b = await instance({ instanceId: 'b' });
    const first = hold('first');
    const second = hold('second');
    const slow = post(a.app, 'k-owner', 'first');
    await first.entered.opened;
    await db.pool.query(
      `UPDATE idempotency_keys SET lease_expires_at = now() - interval '1 second' WHERE key = 'k-owner'`,
    );
    const takeover = post(b.app, 'k-owner', 'second');
    await second.entered.opened;
    assert.equal((await keyRow('k-owner'))?.owner?.startsWith('b:'), true);
    first.release.open(); // the stalled first owner wakes up while the claim is still in flight
    const lost = await slow;
    assert.equal(lost.statusCode, 409);
    assert.equal(lost.json().type, '/problems/idempotency-request-in-flight');
    assert.equal((await keyRow('k-owner'))?.state, 'in_flight', 'the new owner’s claim is untouched');
    second.release.open();
    const won = await takeover;
    assert.equal(won.statusCode, 201);
    assert.deepEqual(won.json(), { text: 'hello', run: 'second' });
    assert.deepEqual(await notes(), ['second']);
  });

  test('its lease is renewed while the handler runs, and cleared when it completes', async () => {
    const a = await instance({ instanceId: 'a', leaseS: 0.6 }); // renewed every 200 ms
    const first = hold('first');
    const running = post(a.app, 'k-renew', 'first');
    await first.entered.opened;
    const claimed = (await keyRow('k-renew'))?.lease_expires_at;
    assert.ok(claimed instanceof Date);
    await eventually(
      async () => ((await keyRow('k-renew'))?.lease_expires_at?.getTime() ?? 0) > claimed.getTime(),
      {
        message: 'the lease was never renewed',
      },
    );
    first.release.open();
    assert.equal((await running).statusCode, 201);
    const done = await keyRow('k-renew');
    assert.equal(done?.state, 'completed');
    assert.equal(done?.owner, null);
    assert.equal(done?.lease_expires_at, null);
    assert.equal(done?.takeovers, 0);
  });
});

describe('duplicates of a slow first request', () => {
  test('wait, then get 409 with Retry-After; after the first commits they replay its answer', async () => {
    const a = await instance({ instanceId: 'a' });
    const b = await instance({ instanceId: 'b', waitMs: 50 });
    const first = hold('first');
    const slow = post(a.app, 'k-dup', 'first');
    await first.entered.opened;
    const duplicates = await Promise.all(
      Array.from({ length: 5 }, (_, i) => post(b.app, 'k-dup', `dup-${i}`)),
    );
    for (const d of duplicates) {
      assert.equal(d.statusCode, 409);
      assert.equal(d.headers['retry-after'], '1');
      assert.equal(d.json().type, '/problems/idempotency-request-in-flight');
    }
    assert.deepEqual(await b.outcomes(), { in_flight_conflict: 5 });
    first.release.open();
    assert.equal((await slow).statusCode, 201);
    const retried = await post(b.app, 'k-dup', 'dup-retry');
    assert.equal(retried.statusCode, 201);
    assert.equal(retried.headers['idempotent-replayed'], 'true');
    assert.deepEqual(retried.json(), { text: 'hello', run: 'first' });
    assert.deepEqual(await notes(), ['first']);
    assert.deepEqual(await a.outcomes(), { executed: 1 });
  });

  test('a duplicate whose first request commits while it waits replays instead of a 409', async () => {
    const a = await instance({ instanceId: 'a' });
    const b = await instance({ instanceId: 'b', waitMs: 10_000 });
    const first = hold('first');
    const slow = post(a.app, 'k-wait', 'first');
    await first.entered.opened;
    const waiting = post(b.app, 'k-wait', 'dup');
    first.release.open();
    assert.equal((await slow).statusCode, 201);
    const dup = await waiting;
    assert.equal(dup.statusCode, 201);
    assert.equal(dup.headers['idempotent-replayed'], 'true');
    assert.deepEqual(dup.json(), { text: 'hello', run: 'first' });
    assert.deepEqual(await notes(), ['first']);
  });
});

describe('a failure that must not be remembered', () => {
  test('a handler’s plain Error: 500, its insert rolled back, the key released; a retry executes', async () => {
    const a = await instance({ instanceId: 'a' });
    const failed = await post(a.app, 'k-boom', 'first', 'boom');
    assert.equal(failed.statusCode, 500);
    assert.equal(await keyRow('k-boom'), undefined, 'no claim left behind');
    assert.deepEqual(await notes(), []);
    const retried = await post(a.app, 'k-boom', 'second', 'boom');
    assert.equal(retried.statusCode, 500, 'executed again (not a replay of the 500)');
    assert.deepEqual(await a.outcomes(), { executed: 2 });
    assert.equal(await keyRow('k-boom'), undefined);
  });

  test('a fault after the answer was written but before commit: nothing stored, the key free again', async () => {
    const faulty = await instance({
      instanceId: 'a',
      faults: createFaultPoints(new Map([['after-claim-before-commit', 'throw']])),
    });
    const failed = await post(faulty.app, 'k-fault', 'first');
    assert.equal(failed.statusCode, 500);
    assert.equal(await keyRow('k-fault'), undefined);
    assert.deepEqual(await notes(), []);
    const healthy = await instance({ instanceId: 'b' });
    const retried = await post(healthy.app, 'k-fault', 'second');
    assert.equal(retried.statusCode, 201);
    assert.equal(retried.headers['idempotent-replayed'], undefined);
    assert.deepEqual(await notes(), ['second']);
  });
});
