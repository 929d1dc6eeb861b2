/**
 * Signed deliveries per second accepted by /webhooks/payments (verify the
 * Standard Webhooks signature + the inbox INSERT, coalesced under load) vs a
 * bare Fastify route doing one INSERT into a table shaped like the inbox —
 * same run, same Postgres, 50 connections, a fresh signed delivery per
 * request. ratio = ours ÷ bare (target ≥ 0.85). Then the ack latency at 50 %
 * of our rate, open loop: the bare route at that rate and ours with the inbox
 * idle (same-run baselines), then ours while the inbox processor drains
 * (target p99 ≤ 20 ms). `npm run bench -- webhook-intake [durationS]
 * [processorBatchSize]`; BENCH_LINEAGE=off measures without request lineage.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { buildApp } from '@steadfast/orders/app';
import { appMigrations } from '@steadfast/orders/migrations';
import { createBackgroundErrors, createLogDestination, createLogger } from '@steadfast/toolkit/observability';
import { createInboxProcessor, createWebhookMetrics } from '@steadfast/toolkit/webhooks';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { startBenchDatabase } from './lib/cluster.ts';
import { combine, type LoadResult, load } from './lib/load.ts';
import { report, round } from './lib/report.ts';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

export async function run(args: string[]): Promise<void> {
  const durationS = Number(args[0] ?? 10);
  const batchSize = Number(args[1] ?? 50);
  const db = await startBenchDatabase({ poolMax: 20 });
  const app = await buildApp({
    db: db.pool,
    logger: createLogger({ level: 'info', destination: createLogDestination({ dest: '/dev/null' }) }),
    migrations: appMigrations(),
    webhooks: { secrets: [SECRET] },
    lineage: { enabled: process.env.BENCH_LINEAGE !== 'off' },
  });
  const ours = await app.server.listen({ port: 0, host: '127.0.0.1' });
  await db.pool.query('CREATE TABLE bare_inbox (LIKE webhook_inbox INCLUDING DEFAULTS INCLUDING INDEXES)');
  const bareServer = Fastify();
  bareServer.post('/bare', async (request, reply) => {
    const body = request.body as { type?: string };
    await db.pool.query(
      `INSERT INTO bare_inbox (id, source, webhook_id, event_type, payload, raw_body, headers) VALUES ($1, 'payments', $2, $3, $4, $5, '{}')`,
      [
        `whk_${randomUUID()}`,
        String(request.headers['webhook-id']),
        body.type ?? null,
        JSON.stringify(body),
        JSON.stringify(body),
      ],
    );
    return reply.code(200).send();
  });
  const bare = await bareServer.listen({ port: 0, host: '127.0.0.1' });
  const signedTo = (url: string) => ({ url, method: 'POST', webhookSecret: SECRET, connections: 50 });
  try {
    await load({ ...signedTo(`${bare}/bare`), durationS: 2 });
    await load({ ...signedTo(`${ours}/webhooks/payments`), durationS: 2 });
    const bareRuns: LoadResult[] = [];
    const oursRuns: LoadResult[] = [];
    for (let i = 0; i < 2; i++) {
      bareRuns.push(await load({ ...signedTo(`${bare}/bare`), durationS }));
      oursRuns.push(await load({ ...signedTo(`${ours}/webhooks/payments`), durationS }));
    }
    const [b, o] = [combine(bareRuns), combine(oursRuns)];
    const half = Math.round(o.requestsPerSecond / 2);
    const paced = () =>
      load({ ...signedTo(`${ours}/webhooks/payments`), connections: 20, overallRate: half, durationS });
    // the same-run baselines of the ack latency at that rate: the bare route, and ours with nothing draining the inbox
    const bareHalf = await load({
      ...signedTo(`${bare}/bare`),
      connections: 20,
      overallRate: half,
      durationS,
    });
    const quiet = await paced();
    // then half the rate while the inbox processor drains what arrives (as `steadfast start` runs both)
    await db.pool.query(`UPDATE webhook_inbox SET status = 'processed', processed_at = now()`);
    const marker = new Date();
    const processor = createInboxProcessor({
      db: db.pool,
      log: createLogger({ level: 'silent' }),
      errors: createBackgroundErrors({ log: createLogger({ level: 'silent' }) }),
      metrics: createWebhookMetrics(new Registry()),
      handle: async () => ({ status: 'processed' }),
      batchSize,
    });
    await processor.start();
    const draining = await paced();
    for (let i = 0; i < 100; i++) {
      const { rows } = await db.pool.query(
        `SELECT count(*)::int AS n FROM webhook_inbox WHERE status = 'received'`,
      );
      if (rows[0].n === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await processor.stop();
    const { rows: lag } = await db.pool.query<{ p50: number; p99: number }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)) * 1000 AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)) * 1000 AS p99
       FROM webhook_inbox WHERE received_at >= $1`,
      [marker],
    );
    console.log(
      `bare INSERT route          ${Math.round(b.requestsPerSecond)} req/s  p99 ${b.p99Ms} ms  non-2xx ${b.non2xx}`,
    );
    console.log(
      `/webhooks/payments         ${Math.round(o.requestsPerSecond)} req/s  p99 ${o.p99Ms} ms  non-2xx ${o.non2xx}`,
    );
    console.log(
      `bare at the same rate              p50 ${bareHalf.p50Ms} ms  p99 ${bareHalf.p99Ms} ms  non-2xx ${bareHalf.non2xx}`,
    );
    console.log(
      `at 50% (${half}/s), inbox idle       p50 ${quiet.p50Ms} ms  p99 ${quiet.p99Ms} ms  non-2xx ${quiet.non2xx}`,
    );
    console.log(
      `at 50% (${half}/s), inbox draining   p50 ${draining.p50Ms} ms  p99 ${draining.p99Ms} ms  non-2xx ${draining.non2xx}`,
    );
    console.log(
      `processing lag at 50%: p50 ${Math.round(lag[0].p50)} ms, p99 ${Math.round(lag[0].p99)} ms (receipt → processed, no-op handler)`,
    );
    if (o.non2xx || b.non2xx || quiet.non2xx || draining.non2xx)
      throw new Error('non-2xx answers during the benchmark');
    report({
      name: 'webhook-intake',
      value: round(o.requestsPerSecond, 1),
      baseline: round(b.requestsPerSecond, 1),
      ratio: round(o.requestsPerSecond / b.requestsPerSecond),
      unit: 'signed deliveries/s',
      target: 'ratio >= 0.8; ack p99 at 50% <= 20 ms; processing lag p99 <= 1000 ms',
      p99AtHalfRateMs: draining.p99Ms,
      p99AtHalfRateIdleInboxMs: quiet.p99Ms,
      bareP99AtHalfRateMs: bareHalf.p99Ms,
      processorBatchSize: batchSize,
      processingLagP99Ms: Math.round(lag[0].p99),
      halfRate: half,
      durationS,
    });
  } finally {
    await app.server.close();
    await bareServer.close();
    await db.close();
  }
}
