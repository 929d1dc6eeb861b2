/**
 * The database fails under load: a `steadfast start` on DATABASE_URL (a
 * separate Postgres cluster) with a load of creates and pays, then
 * `pg_ctl restart -m fast`, `-m immediate`, and a frozen server (every
 * Postgres process SIGSTOPped). Reports the recovery time after the server is
 * back (value: the worse of the two modes), lost acknowledged writes (must be
 * 0), and with a frozen database the time to the first 503 and to /readyz 503.
 * The baseline is the time pg_ctl itself takes to restart the server (fast).
 * Target: recovery ≤ 5 s, lost 0, frozen 503 within a few seconds, /readyz 503 ≤ 1 s.
 */

import { startCli } from '@steadfast/orders/spawn-cli';
import { freePort } from '@steadfast/toolkit/testing';
import {
  checkNothingLost,
  type LoadResult,
  startDrillCluster,
  startLoad,
} from '../apps/orders/src/runtime/db-drill.ts';
import { report, round } from './lib/report.ts';

export async function run(args: string[]): Promise<void> {
  const clients = Number(args[0] ?? 8);
  const drill = await startDrillCluster();
  const sandboxPort = await freePort();
  const cli = await startCli({ DATABASE_URL: drill.url, PORT: '0', SANDBOX_PORT: String(sandboxPort) });
  const loads: LoadResult[] = [];
  const recoveryS: Record<string, number> = {};
  let restartS = 0;
  try {
    for (const mode of ['fast', 'immediate'] as const) {
      const load = startLoad(cli, { clients, prefix: `bench-${mode}` });
      await load.successes(200);
      const t0 = performance.now();
      await drill.cluster.pgCtl(['restart', '-m', mode, '-w', '-t', '60']);
      const back = performance.now();
      if (mode === 'fast') restartS = (back - t0) / 1000;
      recoveryS[mode] = round(((await load.successAfter(back)) - back) / 1000);
      await load.successes(400);
      loads.push(await load.stop());
      process.stderr.write(`restart -m ${mode}: recovered ${recoveryS[mode]} s after the server was back\n`);
    }

    const frozen = drill.freeze();
    const t0 = performance.now();
    const readyz = fetch(`${cli.apiUrl}/readyz`).then((r) => ({ status: r.status, at: performance.now() }));
    const create = fetch(`${cli.apiUrl}/v1/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${cli.apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': `bench-frozen-${Date.now()}`,
      },
      body: JSON.stringify({ currency: 'EUR', items: [{ sku: 'SKU-1', quantity: 1 }] }),
    }).then((r) => ({ status: r.status, at: performance.now() }));
    const [ready, created] = await Promise.all([readyz, create]);
    drill.thaw(frozen);
    const frozenReadyzS = round((ready.at - t0) / 1000);
    const frozenFirst503S = round((created.at - t0) / 1000);
    if (ready.status !== 503 || created.status !== 503)
      throw new Error(
        `frozen database: /readyz ${ready.status}, create ${created.status} (want 503 and 503)`,
      );

    const all: LoadResult = {
      created: loads.flatMap((l) => l.created),
      paid: loads.flatMap((l) => l.paid),
      statuses: {},
      successesAt: [],
    };
    const loss = await checkNothingLost({ ...cli, sandboxUrl: `http://127.0.0.1:${sandboxPort}` }, all);
    const lost = loss.missingOrders.length + loss.unfinished.length;
    const value = Math.max(recoveryS.fast, recoveryS.immediate);
    report({
      name: 'db-restart',
      value,
      baseline: round(restartS),
      ratio: round(value / Math.max(restartS, 0.001)),
      unit: 's',
      target: 'recovery ≤ 5 s after the server is back, 0 lost, frozen: 503 in a few s, /readyz 503 ≤ 1 s',
      recoveryFastS: recoveryS.fast,
      recoveryImmediateS: recoveryS.immediate,
      lostAcknowledged: lost,
      doubleCharged: loss.doubleCharged.length,
      acknowledgedCreates: all.created.length,
      acknowledgedPays: all.paid.length,
      frozenFirst503S,
      frozenReadyz503S: frozenReadyzS,
      clients,
    });
  } finally {
    await cli.stop('SIGTERM');
    await drill.close();
  }
}
