/**
 * POST /v1/orders with a unique Idempotency-Key per request vs the same route
 * with the idempotency plugin disabled — same run, same Postgres, autocannon
 * 50 connections. ratio = with ÷ without (target ≥ 0.8). Also: replay
 * throughput (one key, every request a replay) vs GET /v1/orders/{id}.
 */
import { startBenchDatabase } from './lib/cluster.ts';
import { combine, type LoadOptions, load } from './lib/load.ts';
import { report, round } from './lib/report.ts';
import { ORDER_BODY, startOrdersApi } from './lib/servers.ts';

export async function run(args: string[]): Promise<void> {
  const durationS = Number(args[0] ?? 10);
  const db = await startBenchDatabase({ poolMax: 20 });
  const withKeys = await startOrdersApi(db.pool, { idempotency: true });
  const withoutKeys = await startOrdersApi(db.pool, { idempotency: false });
  const json = { 'content-type': 'application/json' };
  const create = (api: { url: string; apiKey: string }): LoadOptions => ({
    url: `${api.url}/v1/orders`,
    method: 'POST',
    body: ORDER_BODY,
    headers: { ...json, authorization: `Bearer ${api.apiKey}` },
    uniqueIdempotencyKey: true,
  });
  try {
    await load({ ...create(withKeys), durationS: 2 });
    await load({ ...create(withoutKeys), durationS: 2 });
    const withRuns = [];
    const withoutRuns = [];
    for (let i = 0; i < 2; i++) {
      withoutRuns.push(await load({ ...create(withoutKeys), durationS }));
      withRuns.push(await load({ ...create(withKeys), durationS }));
    }
    const on = combine(withRuns);
    const off = combine(withoutRuns);

    const auth = { authorization: `Bearer ${withKeys.apiKey}` };
    const first = await fetch(`${withKeys.url}/v1/orders`, {
      method: 'POST',
      headers: { ...json, ...auth, 'idempotency-key': 'replay-me' },
      body: ORDER_BODY,
    });
    const order = (await first.json()) as { id: string };
    const replays = await load({
      url: `${withKeys.url}/v1/orders`,
      method: 'POST',
      body: ORDER_BODY,
      headers: { ...json, ...auth, 'idempotency-key': 'replay-me' },
      durationS,
    });
    const reads = await load({ url: `${withKeys.url}/v1/orders/${order.id}`, headers: auth, durationS });

    const line = (
      name: string,
      r: { requestsPerSecond: number; p50Ms: number; p99Ms: number; non2xx: number },
    ) =>
      console.log(
        `${name.padEnd(34)} ${round(r.requestsPerSecond, 0)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms  non-2xx ${r.non2xx}`,
      );
    line('POST /v1/orders, plugin disabled', off);
    line('POST /v1/orders, unique keys', on);
    line('POST /v1/orders, replay of one key', replays);
    line('GET /v1/orders/{id}', reads);
    if (on.non2xx || off.non2xx || replays.non2xx || reads.non2xx) throw new Error('non-2xx responses');
    report({
      name: 'idempotency',
      value: round(on.requestsPerSecond, 1),
      baseline: round(off.requestsPerSecond, 1),
      ratio: round(on.requestsPerSecond / off.requestsPerSecond),
      unit: 'req/s',
      target: '>= 0.8',
      replayRps: round(replays.requestsPerSecond, 1),
      getRps: round(reads.requestsPerSecond, 1),
      replayRatio: round(replays.requestsPerSecond / reads.requestsPerSecond),
      durationS,
      rounds: 2,
    });
  } finally {
    await withKeys.close();
    await withoutKeys.close();
    await db.close();
  }
}
