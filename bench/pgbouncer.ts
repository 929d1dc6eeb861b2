/**
 * POST /v1/orders through PgBouncer (transaction pooling, Debian's 1.18, so
 * statements unnamed) vs direct to Postgres with named prepared statements
 * (today's default) — same run, same Postgres (production settings), autocannon
 * with 50 connections, two alternating rounds of each. A third arm, direct with
 * unnamed statements, isolates what unnamed statements cost from what the
 * extra hop costs. `ratio` = through PgBouncer ÷ direct; target ≥ 0.7.
 * Needs the pgbouncer binary (Debian: apt-get install pgbouncer).
 */
import { createPool } from '@steadfast/toolkit/postgres';
import { findPgBouncer, startPgBouncer } from '@steadfast/toolkit/testing';
import { startBenchDatabase } from './lib/cluster.ts';
import { combine, type LoadOptions, type LoadResult, load } from './lib/load.ts';
import { report, round } from './lib/report.ts';
import { ORDER_BODY, startOrdersApi } from './lib/servers.ts';

function line(name: string, r: LoadResult): void {
  console.log(
    `${name.padEnd(44)} ${round(r.requestsPerSecond, 0)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  non-2xx ${r.non2xx}`,
  );
}

export async function run(args: string[]): Promise<void> {
  const durationS = Number(args[0] ?? 10);
  if (!findPgBouncer()) throw new Error('pgbouncer is not installed (Debian: apt-get install pgbouncer)');
  const db = await startBenchDatabase({ poolMax: 20 });
  // as many server connections as the direct pools hold: the hop is what is measured, not a smaller pool
  const bouncer = await startPgBouncer({ serverUrl: db.url, poolSize: 20 });
  const database = new URL(db.url).pathname.slice(1);
  const unnamed = createPool({ connectionString: db.url, max: 20, preparedStatements: false });
  const pooled = createPool({
    connectionString: bouncer.url(database),
    max: 20,
    direct: { connectionString: db.url, max: 4 },
  });
  const direct = await startOrdersApi(db.pool);
  const directUnnamed = await startOrdersApi(unnamed);
  const through = await startOrdersApi(pooled);
  const arm = (api: { url: string; apiKey: string }): LoadOptions => ({
    url: `${api.url}/v1/orders`,
    method: 'POST',
    body: ORDER_BODY,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${api.apiKey}` },
    uniqueIdempotencyKey: true,
  });
  const arms: Record<string, LoadOptions> = {
    direct: arm(direct),
    unnamed: arm(directUnnamed),
    pgbouncer: arm(through),
  };
  try {
    for (const a of Object.values(arms)) await load({ ...a, durationS: 2 }); // warm up
    const runs: Record<string, LoadResult[]> = { direct: [], unnamed: [], pgbouncer: [] };
    for (let i = 0; i < 2; i++) {
      for (const [name, a] of Object.entries(arms)) runs[name].push(await load({ ...a, durationS }));
    }
    const [d, u, p] = [combine(runs.direct), combine(runs.unnamed), combine(runs.pgbouncer)];
    line('direct, named statements', d);
    line('direct, unnamed statements', u);
    line('through PgBouncer (transaction), unnamed', p);
    if (d.non2xx || u.non2xx || p.non2xx) throw new Error('non-2xx responses during the benchmark');
    report({
      name: 'pgbouncer',
      value: round(p.requestsPerSecond, 1),
      baseline: round(d.requestsPerSecond, 1),
      ratio: round(p.requestsPerSecond / d.requestsPerSecond),
      unit: 'req/s',
      target: '>= 0.7',
      unnamedValue: round(u.requestsPerSecond, 1),
      unnamedRatio: round(u.requestsPerSecond / d.requestsPerSecond),
      p99Ms: p.p99Ms,
      baselineP99Ms: d.p99Ms,
      connections: 50,
      durationS,
      rounds: 2,
    });
  } finally {
    await direct.close();
    await directUnnamed.close();
    await through.close();
    await Promise.all([unnamed.end(), pooled.end()]);
    await bouncer.stop();
    await db.close();
  }
}
