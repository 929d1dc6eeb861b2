/**
 * POST /v1/orders throughput vs a bare Fastify route doing one INSERT into a
 * table shaped like orders — same run, same Postgres (production settings:
 * fsync and synchronous commit on), autocannon with 50 connections, two
 * alternating rounds of each arm. `ratio` = the real route (auth, validation,
 * pricing, a fresh Idempotency-Key per request, logging, metrics, lineage;
 * concurrent creates coalesced into one statement) ÷ bare; target ≥ 0.8,
 * stretch ≥ 1.0. Also in the same run:
 * - `simplest`: one jsonb column and a bigserial key — what table shape costs;
 * - `uncoalesced`: the real route with one statement per request;
 * - `plain`: the real route with the idempotency plugin disabled.
 */
import { startBenchDatabase } from './lib/cluster.ts';
import { combine, type LoadOptions, type LoadResult, load } from './lib/load.ts';
import { report, round } from './lib/report.ts';
import { ORDER_BODY, startBareInsert, startOrdersApi, startSimplestInsert } from './lib/servers.ts';

const LABELS: Record<string, string> = {
  simplest: 'simplest INSERT (1 jsonb column)',
  bare: 'bare INSERT route (orders shape)',
  ours: 'POST /v1/orders (coalesced)',
  uncoalesced: 'POST /v1/orders (one statement each)',
  plain: 'POST /v1/orders (plugin disabled)',
};

function line(name: string, r: LoadResult, bare: LoadResult): void {
  console.log(
    `${LABELS[name].padEnd(38)} ${String(round(r.requestsPerSecond, 0)).padStart(6)} req/s  ${round(r.requestsPerSecond / bare.requestsPerSecond, 2)}× bare  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  non-2xx ${r.non2xx}`,
  );
}

export async function run(args: string[]): Promise<void> {
  const durationS = Number(args[0] ?? 10);
  const db = await startBenchDatabase({ poolMax: 20 });
  const api = await startOrdersApi(db.pool, { idempotency: true });
  const uncoalesced = await startOrdersApi(db.pool, { idempotency: true, coalesce: false });
  const plain = await startOrdersApi(db.pool, { idempotency: false });
  const bare = await startBareInsert(db.pool);
  const simplest = await startSimplestInsert(db.pool);
  const json = { 'content-type': 'application/json' };
  const create = (server: { url: string; apiKey: string }): LoadOptions => ({
    url: `${server.url}/v1/orders`,
    method: 'POST',
    body: ORDER_BODY,
    headers: { ...json, authorization: `Bearer ${server.apiKey}` },
    uniqueIdempotencyKey: true, // sent to plain too, and ignored by its disabled plugin
  });
  const arms: Record<string, LoadOptions> = {
    simplest: { url: `${simplest.url}/simplest`, method: 'POST', body: ORDER_BODY, headers: json },
    bare: { url: `${bare.url}/bare`, method: 'POST', body: ORDER_BODY, headers: json },
    ours: create(api),
    uncoalesced: create(uncoalesced),
    plain: create(plain),
  };
  try {
    for (const arm of Object.values(arms)) await load({ ...arm, durationS: 2 }); // warm up
    const runs: Record<string, LoadResult[]> = Object.fromEntries(Object.keys(arms).map((k) => [k, []]));
    for (let i = 0; i < 2; i++) {
      for (const [name, arm] of Object.entries(arms)) runs[name].push(await load({ ...arm, durationS }));
    }
    const r = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, combine(v)]));
    for (const name of Object.keys(arms)) line(name, r[name], r.bare);
    if (Object.values(r).some((x) => x.non2xx || x.errors))
      throw new Error('non-2xx responses during the benchmark');
    const ratio = (name: string) => round(r[name].requestsPerSecond / r.bare.requestsPerSecond);
    report({
      name: 'orders-create',
      value: round(r.ours.requestsPerSecond, 1),
      baseline: round(r.bare.requestsPerSecond, 1),
      ratio: ratio('ours'),
      unit: 'req/s',
      target: '>= 0.8 (stretch >= 1.0); p99 <= 1.5x bare',
      p99Ms: r.ours.p99Ms,
      baselineP99Ms: r.bare.p99Ms,
      p99Ratio: round(r.ours.p99Ms / r.bare.p99Ms),
      simplestValue: round(r.simplest.requestsPerSecond, 1),
      simplestRatio: ratio('simplest'),
      uncoalescedValue: round(r.uncoalesced.requestsPerSecond, 1),
      uncoalescedRatio: ratio('uncoalesced'),
      plainValue: round(r.plain.requestsPerSecond, 1),
      plainRatio: ratio('plain'),
      connections: 50,
      durationS,
      rounds: 2,
    });
  } finally {
    for (const server of [api, uncoalesced, plain, bare, simplest]) await server.close();
    await db.close();
  }
}
