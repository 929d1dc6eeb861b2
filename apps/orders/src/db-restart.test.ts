/**
 * With DATABASE_URL (a real Postgres the service does not own): the server
 * restarted mid-load (`pg_ctl restart -m fast`, then `-m immediate`) and
 * frozen (every Postgres process SIGSTOPped) under a running `steadfast start`.
 * Requests come back on their own, every acknowledged create and pay is
 * there, every payment ends, no order is charged twice; a frozen database
 * answers 503 and /readyz 503 instead of hanging.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort } from '@steadfast/toolkit/testing';
import {
  checkNothingLost,
  type DrillCluster,
  type LoadResult,
  startDrillCluster,
  startLoad,
} from './runtime/db-drill.ts';
import { killAllChildren, type RunningCli, startCli } from './runtime/spawn-cli.ts';

let drill: DrillCluster;
let cli: RunningCli;
let sandboxUrl: string;

before(async () => {
  drill = await startDrillCluster();
  const sandboxPort = await freePort();
  sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  cli = await startCli({
    DATABASE_URL: drill.url,
    PORT: '0',
    SANDBOX_PORT: String(sandboxPort),
    // a pay job that failed during the outages retries within seconds (not after the default 60 s cap), and
    // one whose attempts all failed is settled by the reconciliation sweep, as in production, within the test
    JOB_MAX_DELAY_MS: '2000',
    RECONCILE_INTERVAL_S: '2',
    RECONCILE_PENDING_AGE_S: '5',
  });
});
after(async () => {
  killAllChildren();
  await drill?.close();
});

const loads: LoadResult[] = [];

describe('DATABASE_URL: the server restarts and freezes under load', {
  skip: process.platform !== 'linux',
}, () => {
  for (const mode of ['fast', 'immediate'] as const) {
    test(`pg_ctl restart -m ${mode} mid-load: requests recover by themselves`, async () => {
      const load = startLoad(cli, { clients: 3, prefix: `restart-${mode}` });
      await load.successes(20); // the load is flowing
      await drill.cluster.pgCtl(['restart', '-m', mode, '-w', '-t', '60']);
      const back = performance.now();
      const recovered = await load.successAfter(back, 30_000); // the issue asks for 5 s: generous for CI
      await load.successes(50, 60_000); // and keeps flowing
      const result = await load.stop();
      loads.push(result);
      process.stdout.write(
        `# restart -m ${mode}: first 2xx ${((recovered - back) / 1000).toFixed(2)} s after the server was back; ` +
          `statuses ${JSON.stringify(result.statuses)}\n`,
      );
      assert.ok(result.created.length > 0);
      assert.equal(result.statuses['500'], undefined, 'no 500 during the restart');
    });
  }

  test('a frozen database: 503 database-unavailable and /readyz 503, not a hang; then it recovers', async () => {
    const frozen = drill.freeze();
    try {
      const started = performance.now();
      const ready = await fetch(`${cli.apiUrl}/readyz`, { signal: AbortSignal.timeout(5000) });
      assert.equal(ready.status, 503, '/readyz answers, within its bound');
      const create = await fetch(`${cli.apiUrl}/v1/orders`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${cli.apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': 'frozen-1',
        },
        body: JSON.stringify({ currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1 }] }),
        signal: AbortSignal.timeout(30_000), // "within a few seconds": generous for CI
      });
      assert.equal(create.status, 503);
      assert.ok(create.headers.get('retry-after'));
      assert.equal(((await create.json()) as { type: string }).type, '/problems/database-unavailable');
      process.stdout.write(`# frozen: 503 after ${((performance.now() - started) / 1000).toFixed(2)} s\n`);
    } finally {
      drill.thaw(frozen);
    }
    const load = startLoad(cli, { clients: 2, prefix: 'thawed' });
    await load.successAfter(performance.now(), 30_000);
    loads.push(await load.stop());
  });

  test('nothing acknowledged was lost: every order is there, every payment ended, none charged twice', async () => {
    const all: LoadResult = {
      created: loads.flatMap((l) => l.created),
      paid: loads.flatMap((l) => l.paid),
      statuses: {},
      successesAt: [],
    };
    assert.ok(all.paid.length > 0, 'some pays were acknowledged');
    const report = await checkNothingLost({ ...cli, sandboxUrl }, all, { settleTimeoutMs: 60_000 });
    assert.deepEqual(report.missingOrders, [], 'every 201 has its order');
    assert.deepEqual(
      report.unfinished,
      [],
      'every acknowledged pay reached a terminal state (the worker resumed)',
    );
    assert.deepEqual(report.doubleCharged, [], 'no order charged twice');
    process.stdout.write(
      `# acknowledged: ${all.created.length} creates, ${all.paid.length} pays; lost 0; charges ${report.charges}\n`,
    );
  });

  test('Prefer: wait is woken by a notification after the restarts (the LISTEN connection came back)', async () => {
    const headers = { authorization: `Bearer ${cli.apiKey}`, 'content-type': 'application/json' };
    const order = (await (
      await fetch(`${cli.apiUrl}/v1/orders`, {
        method: 'POST',
        headers: { ...headers, 'idempotency-key': 'listen-create' },
        body: JSON.stringify({ currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1 }] }),
      })
    ).json()) as { id: string };
    for (const action of ['submit', 'approve'])
      await fetch(`${cli.apiUrl}/v1/orders/${order.id}/${action}`, {
        method: 'POST',
        headers: { authorization: headers.authorization, 'idempotency-key': `listen-${action}` },
      });
    const started = Date.now();
    const pay = await fetch(`${cli.apiUrl}/v1/orders/${order.id}/pay`, {
      method: 'POST',
      headers: { authorization: headers.authorization, 'idempotency-key': 'listen-pay', prefer: 'wait=30' },
    });
    assert.equal(pay.status, 200);
    // without a LISTEN connection the waiter would only look again at its 30 s deadline
    assert.ok(Date.now() - started < 20_000, 'woken by the notification, not by the deadline');
    assert.equal(((await pay.json()) as { status: string }).status, 'succeeded');
    assert.equal(await cli.stop('SIGTERM'), 0, `a clean shutdown:\n${cli.output()}`);
  });
});
