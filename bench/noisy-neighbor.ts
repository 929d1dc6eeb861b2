/**
 * Noisy neighbour: tenant A floods POST /v1/orders with 200 connections
 * (closed loop: each answer, 429s included, is followed by the next request)
 * while tenant B sends a steady modest rate (open loop). Same run, same database:
 *
 * - B alone, on the API with per-tenant limits;
 * - B beside A's flood, limits on (A is held to its writes quota);
 * - B beside A's flood, limits off (for comparison).
 *
 * Target (issue 20): B's p99 with limits on ≤ 1.5 × B's p99 alone.
 * Load shedding stays on in every arm, as in production.
 */
import { startBenchDatabase } from './lib/cluster.ts';
import { load } from './lib/load.ts';
import { type OpenLoopResult, openLoop } from './lib/open-loop.ts';
import { report, round } from './lib/report.ts';
import { addBenchTenant, ORDER_BODY, startOrdersApi } from './lib/servers.ts';

const B_RATE_PER_S = 40;

function describe(name: string, r: OpenLoopResult): void {
  const parts = Object.entries(r.statuses).map(
    ([s, f]) => `${s}×${f.count} (p50 ${f.p50Ms} / p99 ${f.p99Ms} ms)`,
  );
  console.log(`${name.padEnd(30)} ${parts.join('  ')}  errors ${r.errors}`);
}

export async function run(args: string[]): Promise<void> {
  const durationS = Number(args[0] ?? 10);
  const db = await startBenchDatabase({ poolMax: 20 });
  const limited = await startOrdersApi(db.pool, { traffic: { rateLimits: true, loadShedding: true } });
  const unlimited = await startOrdersApi(db.pool, { traffic: { rateLimits: false, loadShedding: true } });
  const tenantA = await addBenchTenant(db.pool, 'tenant A');
  const tenantB = await addBenchTenant(db.pool, 'tenant B');
  const create = (url: string, apiKey: string) => ({
    url: `${url}/v1/orders`,
    method: 'POST' as const,
    body: ORDER_BODY,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    uniqueIdempotencyKey: true,
  });
  const steadyB = (url: string) =>
    openLoop({ ...create(url, tenantB), ratePerS: B_RATE_PER_S, durationS, connections: 16 });
  const floodA = (url: string) =>
    load({ ...create(url, tenantA), connections: 200, durationS: durationS + 1 });
  try {
    await load({ ...create(limited.url, tenantB), durationS: 2, connections: 4, overallRate: B_RATE_PER_S });
    await load({
      ...create(unlimited.url, tenantB),
      durationS: 2,
      connections: 4,
      overallRate: B_RATE_PER_S,
    });
    const alone = await steadyB(limited.url);
    describe('B alone (limits on)', alone);
    const [withLimits, floodLimited] = await Promise.all([steadyB(limited.url), floodA(limited.url)]);
    describe('B beside A, limits on', withLimits);
    console.log(
      `  A: ${round(floodLimited.requestsPerSecond, 0)} req/s, ${floodLimited.non2xx} non-2xx of ${floodLimited.total}`,
    );
    const [withoutLimits, floodOpen] = await Promise.all([steadyB(unlimited.url), floodA(unlimited.url)]);
    describe('B beside A, limits off', withoutLimits);
    console.log(
      `  A: ${round(floodOpen.requestsPerSecond, 0)} req/s, ${floodOpen.non2xx} non-2xx of ${floodOpen.total}`,
    );
    const p99 = (r: OpenLoopResult) => r.statuses['2xx']?.p99Ms ?? 0;
    const failedB = (r: OpenLoopResult) =>
      Object.entries(r.statuses)
        .filter(([s]) => s !== '2xx' && !s.startsWith('2'))
        .reduce((n, [, f]) => n + f.count, 0) + r.errors;
    report({
      name: 'noisy-neighbor',
      value: p99(withLimits),
      baseline: p99(alone),
      ratio: round(p99(withLimits) / p99(alone)),
      unit: "B's p99 ms beside A's flood (limits on) ÷ B's p99 alone",
      target: '<= 1.5',
      withoutLimitsP99Ms: p99(withoutLimits),
      withoutLimitsRatio: round(p99(withoutLimits) / p99(alone)),
      bFailedWithLimits: failedB(withLimits),
      bFailedWithoutLimits: failedB(withoutLimits),
      aAdmittedPerSWithLimits: round((floodLimited.total - floodLimited.non2xx) / (durationS + 1), 1),
      aRequestsPerSWithLimits: round(floodLimited.requestsPerSecond, 0),
      bRatePerS: B_RATE_PER_S,
      durationS,
    });
  } finally {
    await limited.close();
    await unlimited.close();
    await db.close();
  }
}
