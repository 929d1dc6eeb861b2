/**
 * Does a hanging partner hurt endpoints that do not need it? p99 of
 * GET /v1/orders/{id} while pricing and recommendations hang (and clients keep
 * calling the endpoints that need them) ÷ p99 with healthy partners, same run.
 * Target ≤ 1.2.
 */
import { randomUUID } from 'node:crypto';
import { startBenchDatabase } from './lib/cluster.ts';
import { load } from './lib/load.ts';
import { report, round } from './lib/report.ts';
import { ORDER_BODY, startOrdersApi, startPartners } from './lib/servers.ts';

export async function run(args: string[]): Promise<void> {
  const durationS = Number(args[0] ?? 10);
  const db = await startBenchDatabase();
  const partners = await startPartners();
  const api = await startOrdersApi(db.pool, { partners: partners.urls, tuning: { pricing: { freshMs: 0 } } });
  const auth = { authorization: `Bearer ${api.apiKey}` };
  try {
    const created = await fetch(`${api.url}/v1/orders`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: ORDER_BODY,
    });
    const order = (await created.json()) as { id: string };
    const reads = { url: `${api.url}/v1/orders/${order.id}`, headers: auth, connections: 20, durationS };
    // background traffic on the endpoints that need the partners
    const background = () =>
      Promise.all([
        load({
          url: `${api.url}/v1/orders`,
          method: 'POST',
          body: ORDER_BODY,
          headers: { ...auth, 'content-type': 'application/json' },
          uniqueIdempotencyKey: true,
          connections: 10,
          durationS,
        }),
        load({
          url: `${api.url}/v1/orders/${order.id}/recommendations`,
          headers: auth,
          connections: 10,
          durationS,
        }),
      ]);
    await load({ ...reads, durationS: 2 });
    const [healthy] = await Promise.all([load(reads), background()]);
    await partners.chaos('pricing', { rules: [{ fault: 'hang' }] });
    await partners.chaos('recommendations', { rules: [{ fault: 'hang' }] });
    const [hanging] = await Promise.all([load(reads), background()]);
    console.log(
      `healthy partners: GET p50 ${healthy.p50Ms} ms, p99 ${healthy.p99Ms} ms, ${Math.round(healthy.requestsPerSecond)} req/s`,
    );
    console.log(
      `hanging partners: GET p50 ${hanging.p50Ms} ms, p99 ${hanging.p99Ms} ms, ${Math.round(hanging.requestsPerSecond)} req/s`,
    );
    report({
      name: 'isolation',
      value: hanging.p99Ms,
      baseline: healthy.p99Ms,
      ratio: round(hanging.p99Ms / healthy.p99Ms),
      unit: 'ms (p99 of GET /v1/orders/{id})',
      target: '<= 1.2',
      durationS,
    });
  } finally {
    await api.close();
    await partners.close();
    await db.close();
  }
}
