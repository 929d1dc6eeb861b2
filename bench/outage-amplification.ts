/**
 * During a total pricing outage, how many requests reach the partner per API
 * request? After the first 20 requests (when the breaker and budget have had
 * their chance), ratio = partner attempts ÷ API requests. Target ≤ 1.1
 * (Google SRE: a client's retries must not multiply an outage).
 */
import { randomUUID } from 'node:crypto';
import { startBenchDatabase } from './lib/cluster.ts';
import { report, round } from './lib/report.ts';
import { startOrdersApi, startPartners } from './lib/servers.ts';

export async function run(args: string[]): Promise<void> {
  // paced traffic for long enough that the breaker goes half-open and probes several times
  const durationS = Number(args[0] ?? 15);
  const concurrency = 10;
  const pauseMs = 100; // ~100 requests/s
  const db = await startBenchDatabase();
  const partners = await startPartners();
  const api = await startOrdersApi(db.pool, { partners: partners.urls, tuning: { pricing: { freshMs: 0 } } });
  try {
    await partners.chaos('pricing', { rules: [{ fault: 'error', status: 503 }] });
    let sku = 0;
    const send = async () => {
      const response = await fetch(`${api.url}/v1/orders`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${api.apiKey}`,
          'idempotency-key': randomUUID(),
        },
        body: JSON.stringify({ currency: 'EUR', items: [{ sku: `OUT-${++sku}`, quantity: 1 }] }),
      });
      await response.arrayBuffer();
      return response.status;
    };
    for (let i = 0; i < 20; i++) await send();
    const warmAttempts = await partners.requestsSeen('pricing');
    const statuses: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() - started < durationS * 1000) {
          statuses.push(await send());
          await new Promise((r) => setTimeout(r, pauseMs));
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    const attempts = (await partners.requestsSeen('pricing')) - warmAttempts;
    const non503 = statuses.filter((s) => s !== 503).length;
    console.log(`first 20 requests: ${warmAttempts} partner attempts`);
    console.log(
      `next ${statuses.length} requests (${concurrency} clients, ~${Math.round(statuses.length / (elapsedMs / 1000))}/s): ${attempts} partner attempts, ${non503} answers other than 503, ${Math.round(elapsedMs)} ms`,
    );
    report({
      name: 'outage-amplification',
      value: attempts,
      baseline: statuses.length,
      ratio: round(attempts / statuses.length),
      unit: 'partner attempts per API request',
      target: '<= 1.1',
      firstTwentyAttempts: warmAttempts,
      durationS,
    });
  } finally {
    await api.close();
    await partners.close();
    await db.close();
  }
}
