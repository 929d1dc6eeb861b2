/**
 * POST /v1/orders throughput vs a bare Fastify route doing one INSERT into a
 * table shaped like orders — same run, same Postgres (production settings),
 * autocannon with 50 connections, two alternating rounds of each.
 * `ratio` = the real route (auth, validation, pricing, a fresh Idempotency-Key
 * per request, logging, metrics) ÷ bare; target ≥ 0.8. `plainRatio` is the
 * same route with the idempotency plugin disabled (the foundation's path).
 */
import { startBenchDatabase } from './lib/cluster.ts';
import { combine, type LoadOptions, type LoadResult, load } from './lib/load.ts';
import { report, round } from './lib/report.ts';
import { ORDER_BODY, startBareInsert, startOrdersApi } from './lib/servers.ts';

function line(name: string, r: LoadResult): void {
  console.log(
    `${name.padEnd(36)} ${round(r.requestsPerSecond, 0)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  non-2xx ${r.non2xx}`,
  );
}

export async function run(args: string[]): Promise<void> {
  const durationS = Number(args[0] ?? 10);
  const db = await startBenchDatabase({ poolMax: 20 });
  const api = await startOrdersApi(db.pool, { idempotency: true });
  const plain = await startOrdersApi(db.pool, { idempotency: false });
  const bare = await startBareInsert(db.pool);
  const json = { 'content-type': 'application/json' };
  const arms: Record<string, LoadOptions> = {
    bare: { url: `${bare.url}/bare`, method: 'POST', body: ORDER_BODY, headers: json },
    ours: {
      url: `${api.url}/v1/orders`,
      method: 'POST',
      body: ORDER_BODY,
      headers: { ...json, authorization: `Bearer ${api.apiKey}` },
      uniqueIdempotencyKey: true,
    },
    plain: {
      url: `${plain.url}/v1/orders`,
      method: 'POST',
      body: ORDER_BODY,
      headers: { ...json, authorization: `Bearer ${plain.apiKey}` },
      uniqueIdempotencyKey: true, // sent, and ignored by the disabled plugin
    },
  };
  try {
    for (const arm of Object.values(arms)) await load({ ...arm, durationS: 2 }); // warm up
    const runs: Record<string, LoadResult[]> = { bare: [], ours: [], plain: [] };
    for (let i = 0; i < 2; i++) {
      for (const [name, arm] of Object.entries(arms)) runs[name].push(await load({ ...arm, durationS }));
    }
    const [b, o, p] = [combine(runs.bare), combine(runs.ours), combine(runs.plain)];
    line('bare INSERT route', b);
    line('POST /v1/orders (Idempotency-Key)', o);
    line('POST /v1/orders (plugin disabled)', p);
    if (b.non2xx || o.non2xx || p.non2xx) throw new Error('non-2xx responses during the benchmark');
    report({
      name: 'orders-create',
      value: round(o.requestsPerSecond, 1),
      baseline: round(b.requestsPerSecond, 1),
      ratio: round(o.requestsPerSecond / b.requestsPerSecond),
      unit: 'req/s',
      target: '>= 0.8',
      plainValue: round(p.requestsPerSecond, 1),
      plainRatio: round(p.requestsPerSecond / b.requestsPerSecond),
      p99Ms: o.p99Ms,
      baselineP99Ms: b.p99Ms,
      connections: 50,
      durationS,
      rounds: 2,
    });
  } finally {
    await api.close();
    await plain.close();
    await bare.close();
    await db.close();
  }
}
