/**
 * Per-request cost of translating answers for an older API version:
 * GET /v1/orders/{id} asked in the newest version (no translation: its bytes
 * are never parsed) vs two versions behind (`Steadfast-Version: 2026-06-01`:
 * the answer is parsed, two version changes applied, serialised again) — one
 * Orders API on Postgres (production settings), alternating rounds (3 of
 * each), autocannon with 50 connections. `ratio` = old ÷ newest; target ≥ 0.9.
 */
import { startBenchDatabase } from './lib/cluster.ts';
import { combine, type LoadOptions, type LoadResult, load } from './lib/load.ts';
import { report, round } from './lib/report.ts';
import { ORDER_BODY, startOrdersApi } from './lib/servers.ts';

const ROUNDS = 3;
const NEWEST = '2026-12-01';
const TWO_BEHIND = '2026-06-01';

function line(name: string, r: LoadResult): void {
  console.log(
    `${name.padEnd(44)} ${round(r.requestsPerSecond, 0)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  non-2xx ${r.non2xx}`,
  );
}

export async function run(args: string[]): Promise<void> {
  const durationS = Number(args[0] ?? 8);
  const db = await startBenchDatabase({ poolMax: 20 });
  const api = await startOrdersApi(db.pool);
  try {
    const created = await fetch(`${api.url}/v1/orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${api.apiKey}`,
        'idempotency-key': crypto.randomUUID(),
        'steadfast-version': NEWEST,
      },
      body: JSON.stringify({
        ...JSON.parse(ORDER_BODY),
        customer: { email: 'bench@example.com', name: 'Bench' },
      }),
    });
    if (created.status !== 201) throw new Error(`creating the order answered ${created.status}`);
    const { id } = (await created.json()) as { id: string };
    const arm = (version: string): LoadOptions => ({
      url: `${api.url}/v1/orders/${id}`,
      method: 'GET',
      headers: { authorization: `Bearer ${api.apiKey}`, 'steadfast-version': version },
    });
    // the answers really differ: the old version gets the old shape
    const old = (await (
      await fetch(arm(TWO_BEHIND).url, { headers: arm(TWO_BEHIND).headers })
    ).json()) as object;
    if (!('customerEmail' in old) || !('totalAmount' in old))
      throw new Error('the old version was not translated');
    for (const version of [NEWEST, TWO_BEHIND]) await load({ ...arm(version), durationS: 2 }); // warm up
    const runs: { newest: LoadResult[]; old: LoadResult[] } = { newest: [], old: [] };
    for (let i = 0; i < ROUNDS; i++) {
      const order = i % 2 === 0 ? (['newest', 'old'] as const) : (['old', 'newest'] as const);
      for (const name of order)
        runs[name].push(await load({ ...arm(name === 'old' ? TWO_BEHIND : NEWEST), durationS }));
    }
    const [o, n] = [combine(runs.old), combine(runs.newest)];
    line(`GET /v1/orders/{id}, ${NEWEST} (newest)`, n);
    line(`GET /v1/orders/{id}, ${TWO_BEHIND} (two behind)`, o);
    if (o.non2xx || n.non2xx) throw new Error('non-2xx responses during the benchmark');
    report({
      name: 'versioning',
      value: round(o.requestsPerSecond, 1),
      baseline: round(n.requestsPerSecond, 1),
      ratio: round(o.requestsPerSecond / n.requestsPerSecond),
      unit: 'req/s',
      target: '>= 0.9',
      p99Ms: o.p99Ms,
      baselineP99Ms: n.p99Ms,
      connections: 50,
      durationS,
      rounds: ROUNDS,
    });
  } finally {
    await api.close();
    await db.close();
  }
}
