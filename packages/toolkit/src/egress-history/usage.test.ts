/** Usage of @steadfast/toolkit/egress-history: each instance records its dependency calls, one route reads the deployment's view, a reaper keeps it bounded. */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, before, test } from 'node:test';
import {
  createEgressHistory,
  type EgressHistory,
  type EgressSource,
  egressHistoryMigrations,
  readEgressHistory,
  reapEgressHistory,
} from '@steadfast/toolkit/egress-history';
import { createBackgroundErrors, createLogger } from '@steadfast/toolkit/observability';
import { migrate, type Pool, startPeriodicCleanup } from '@steadfast/toolkit/postgres';
import { createTestDatabase, eventually, type TestDatabase } from '@steadfast/toolkit/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';

// docs:start record
function startEgressHistory(pool: Pool, clients: EgressSource[], registry: Registry): EgressHistory {
  const history = createEgressHistory({
    db: pool,
    // unique per process: each instance writes its own rows, the read sums them
    instanceId: `web-${hostname()}-${process.pid}`,
    errors: createBackgroundErrors({ log: createLogger(), registry }),
    intervalMs: 10_000, // one statement per interval, whatever the traffic (the default)
  });
  // each client from createDependencyClient (@steadfast/toolkit/resilience)
  for (const client of clients) history.attach(client);
  history.start();
  return history; // at shutdown: await history.stop() writes what is left
}
// docs:end record

// docs:start read
function registerHistoryRoute(app: FastifyInstance, pool: Pool): void {
  // behind your operator authentication
  app.get('/ops/dependencies/history', async () => readEgressHistory(pool, { now: Date.now(), minutes: 60 }));
}
// docs:end read

/** stands in for a dependency client: what `attach` uses of one */
function standIn(name: string) {
  const listeners = new Set<(attempt: Parameters<Parameters<EgressSource['onAttempt']>[0]>[0]) => void>();
  const source: EgressSource = {
    name,
    onAttempt: (listener) => {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
    status: () => ({ breaker: 'closed', budgetRemaining: 7 }),
  };
  const call = (kind: 'success' | 'timeout', requestId: string) => {
    for (const listener of listeners) {
      listener({
        dependency: name,
        method: 'GET',
        route: '/items/{id}',
        status: kind === 'success' ? 200 : undefined,
        durationMs: kind === 'success' ? 4 : 300,
        attempt: 1,
        outcome: kind === 'success' ? 'success' : 'transient',
        kind,
        requestId,
        at: Date.now(),
      });
    }
  };
  return { source, call };
}

let db: TestDatabase;
let app: FastifyInstance;
const registry = new Registry();

before(async () => {
  db = await createTestDatabase({ template: 'template0' });
  // docs:start migrate
  await migrate(db.pool, [...egressHistoryMigrations]);
  // docs:end migrate
  app = Fastify();
  registerHistoryRoute(app, db.pool);
});
after(async () => {
  await app.close();
  await db.close();
});

test('two instances record, the route answers their sum, the last errors and each instance', async () => {
  const web = standIn('quotes');
  const worker = standIn('quotes');
  const first = startEgressHistory(db.pool, [web.source], registry);
  const second = createEgressHistory({
    db: db.pool,
    instanceId: 'worker-1',
    errors: createBackgroundErrors({ log: createLogger({ level: 'silent' }), registry }),
    intervalMs: 20,
  });
  second.attach(worker.source);
  second.start();
  web.call('success', 'req-1');
  web.call('timeout', 'req-2');
  worker.call('success', 'req-3');
  // the second instance's timer writes within its interval; stop() writes the first one's
  await eventually(async () => (await db.pool.query('SELECT 1 FROM egress_minutes')).rowCount === 1);
  await first.stop();
  await second.stop();

  const answer = await app.inject({ method: 'GET', url: '/ops/dependencies/history' });
  assert.equal(answer.statusCode, 200);
  const [quotes] = answer.json().dependencies;
  assert.equal(quotes.dependency, 'quotes');
  assert.equal(quotes.minutes.length, 60);
  assert.equal(quotes.totals.success, 2);
  assert.equal(quotes.totals.timeout, 1);
  assert.deepEqual(
    quotes.lastErrors.map((e: { requestId: string; kind: string }) => [e.requestId, e.kind]),
    [['req-2', 'timeout']],
  );
  assert.deepEqual(quotes.instances.map((i: { fresh: boolean }) => i.fresh).sort(), [true, true]);
  assert.ok(quotes.p99Ms > 250 && quotes.p99Ms <= 500, 'the timeout sits in the (250, 500] ms bucket');
});

test('the reaper deletes what is older than the retention', async () => {
  const errors = createBackgroundErrors({ log: createLogger({ level: 'silent' }), registry });
  const pool = db.pool;
  // docs:start reap
  const reaper = startPeriodicCleanup({
    name: 'egress-history-reaper',
    errors,
    run: () => reapEgressHistory(pool, { olderThan: new Date(Date.now() - 7 * 24 * 3600_000) }),
  });
  // docs:end reap
  try {
    assert.equal(await reaper.runOnce(), 0, 'nothing is a week old');
    const { rows } = await pool.query(
      'SELECT (SELECT count(*) FROM egress_minutes) + (SELECT count(*) FROM egress_instances) AS n',
    );
    assert.ok(Number(rows[0].n) >= 4, 'two instances: a minute row and an instance row each');
    assert.equal(
      await reapEgressHistory(pool, { olderThan: new Date(Date.now() + 120_000) }),
      Number(rows[0].n),
    );
  } finally {
    reaper.stop();
  }
});
