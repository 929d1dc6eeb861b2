/**
 * POST /v1/orders throughput vs a bare Fastify route doing one INSERT into a
 * table shaped like orders — same run, same Postgres (production settings),
 * autocannon with 50 connections. ratio = ours ÷ bare; target ≥ 0.8.
 */
import { startBenchDatabase } from './lib/cluster.ts';
import { combine, load } from './lib/load.ts';
import { report, round } from './lib/report.ts';
import { ORDER_BODY, startBareInsert, startOrdersApi } from './lib/servers.ts';

export async function run(args: string[]): Promise<void> {
  const durationS = Number(args[0] ?? 10);
  const db = await startBenchDatabase({ poolMax: 20 });
  const api = await startOrdersApi(db.pool);
  const bare = await startBareInsert(db.pool);
  const json = { 'content-type': 'application/json' };
  // a unique Idempotency-Key per request: the real cost of a create
  const ours = {
    url: `${api.url}/v1/orders`,
    method: 'POST',
    body: ORDER_BODY,
    headers: { ...json, authorization: `Bearer ${api.apiKey}` },
    uniqueIdempotencyKey: true,
  };
  const baseline = { url: `${bare.url}/bare`, method: 'POST', body: ORDER_BODY, headers: json };
  try {
    // warm both paths (JIT, pool, caches), then measure alternately
    await load({ ...baseline, durationS: 2 });
    await load({ ...ours, durationS: 2 });
    // two alternating rounds: drift of the machine affects both sides alike
    const bareRuns = [];
    const oursRuns = [];
    for (let round = 0; round < 2; round++) {
      bareRuns.push(await load({ ...baseline, durationS }));
      oursRuns.push(await load({ ...ours, durationS }));
    }
    const bareRun = combine(bareRuns);
    const oursRun = combine(oursRuns);
    console.log(
      `bare INSERT route   ${round(bareRun.requestsPerSecond, 0)} req/s  p50 ${bareRun.p50Ms} ms  p99 ${bareRun.p99Ms} ms  non-2xx ${bareRun.non2xx}`,
    );
    console.log(
      `POST /v1/orders     ${round(oursRun.requestsPerSecond, 0)} req/s  p50 ${oursRun.p50Ms} ms  p99 ${oursRun.p99Ms} ms  non-2xx ${oursRun.non2xx}`,
    );
    if (oursRun.non2xx > 0 || bareRun.non2xx > 0) throw new Error('non-2xx responses during the benchmark');
    report({
      name: 'orders-create',
      value: round(oursRun.requestsPerSecond, 1),
      baseline: round(bareRun.requestsPerSecond, 1),
      ratio: round(oursRun.requestsPerSecond / bareRun.requestsPerSecond),
      unit: 'req/s',
      target: '>= 0.8',
      connections: 50,
      durationS,
      rounds: 2,
      p99Ms: oursRun.p99Ms,
      baselineP99Ms: bareRun.p99Ms,
    });
  } finally {
    await api.close();
    await bare.close();
    await db.close();
  }
}
