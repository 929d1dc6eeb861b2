/**
 * Hot-path cost of request lineage: POST /v1/orders with lineage on vs off —
 * two Orders APIs on the same Postgres (production settings), same process,
 * alternating rounds (3 of each), autocannon with 50 connections, a fresh
 * Idempotency-Key per request. With lineage on every request is buffered and
 * written in batches (one multi-row INSERT per table per flush).
 * `ratio` = on ÷ off; target ≥ 0.95. Also printed: the rows written and dropped.
 */
import { startBenchDatabase } from './lib/cluster.ts';
import { combine, type LoadOptions, type LoadResult, load } from './lib/load.ts';
import { report, round } from './lib/report.ts';
import { ORDER_BODY, startOrdersApi } from './lib/servers.ts';

const ROUNDS = 3;

function line(name: string, r: LoadResult): void {
  console.log(
    `${name.padEnd(30)} ${round(r.requestsPerSecond, 0)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  non-2xx ${r.non2xx}`,
  );
}

export async function run(args: string[]): Promise<void> {
  const durationS = Number(args[0] ?? 8);
  const db = await startBenchDatabase({ poolMax: 20 });
  const on = await startOrdersApi(db.pool, { lineage: true });
  const off = await startOrdersApi(db.pool, { lineage: false });
  const arm = (api: typeof on): LoadOptions => ({
    url: `${api.url}/v1/orders`,
    method: 'POST',
    body: ORDER_BODY,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${api.apiKey}` },
    uniqueIdempotencyKey: true,
  });
  try {
    for (const api of [off, on]) await load({ ...arm(api), durationS: 2 }); // warm up
    const runs: { on: LoadResult[]; off: LoadResult[] } = { on: [], off: [] };
    for (let i = 0; i < ROUNDS; i++) {
      // alternate which goes first, so neither always meets the other's leftovers (vacuum, flushes)
      const order = i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      for (const name of order) runs[name].push(await load({ ...arm(name === 'on' ? on : off), durationS }));
    }
    const [l, b] = [combine(runs.on), combine(runs.off)];
    line('POST /v1/orders, lineage off', b);
    line('POST /v1/orders, lineage on', l);
    await on.app.lineage?.flush();
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM lineage_requests');
    const dropped = on.app.lineage?.dropped ?? 0;
    console.log(`lineage rows written ${rows[0].n}, dropped ${dropped}`);
    if (l.non2xx || b.non2xx) throw new Error('non-2xx responses during the benchmark');
    report({
      name: 'lineage',
      value: round(l.requestsPerSecond, 1),
      baseline: round(b.requestsPerSecond, 1),
      ratio: round(l.requestsPerSecond / b.requestsPerSecond),
      unit: 'req/s',
      target: '>= 0.95',
      p99Ms: l.p99Ms,
      baselineP99Ms: b.p99Ms,
      lineageRows: rows[0].n,
      dropped,
      connections: 50,
      durationS,
      rounds: ROUNDS,
    });
  } finally {
    await on.close();
    await off.close();
    await db.close();
  }
}
