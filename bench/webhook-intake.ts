/**
 * Signed deliveries per second accepted by /webhooks/payments (verify the
 * Standard Webhooks signature + the inbox INSERT, coalesced under load) vs a
 * bare Fastify route doing one INSERT into a table shaped like the inbox —
 * same run, same Postgres, 50 connections, a fresh signed delivery per
 * request. ratio = ours ÷ bare (target ≥ 0.85). Then the ack latency at 50 %
 * of our rate, open loop, in alternating rounds (lib/ack-latency.ts): a no-op
 * route (the machine's floor), the bare route and ours with the inbox idle
 * (same-run baselines), then ours while the inbox processor drains (target
 * p99 ≤ 20 ms; the processor must not slow the ack). `npm run bench --
 * webhook-intake [durationS] [processorBatchSize] [latencyS]`;
 * BENCH_LINEAGE=off measures without request lineage.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { buildApp } from '@steadfast/orders/app';
import { appMigrations } from '@steadfast/orders/migrations';
import { createBackgroundErrors, createLogDestination, createLogger } from '@steadfast/toolkit/observability';
import { createInboxProcessor, createWebhookMetrics } from '@steadfast/toolkit/webhooks';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { type AckArm, measureAckLatency } from './lib/ack-latency.ts';
import { startBenchDatabase } from './lib/cluster.ts';
import { combine, type LoadResult, load } from './lib/load.ts';
import { median, report, round } from './lib/report.ts';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

export async function run(args: string[]): Promise<void> {
  const durationS = Number(args[0] ?? 10);
  const batchSize = Number(args[1] ?? 50);
  const latencyS = Number(args[2] ?? 8);
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
  // the floor: what any route costs on this machine at that rate (no database, nothing to verify)
  bareServer.post('/noop', async (_request, reply) => reply.code(200).send());
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
    const ack = await measureAckLatency({
      db: db.pool,
      urls: { noop: `${bare}/noop`, bare: `${bare}/bare`, ours: `${ours}/webhooks/payments` },
      webhookSecret: SECRET,
      ratePerS: half,
      durationS: latencyS,
      rounds: 3,
      startProcessor: async () => {
        // as `steadfast start` runs it: in the web process, beside the intake
        const processor = createInboxProcessor({
          db: db.pool,
          log: createLogger({ level: 'silent' }),
          errors: createBackgroundErrors({ log: createLogger({ level: 'silent' }) }),
          metrics: createWebhookMetrics(new Registry()),
          handle: async () => ({ status: 'processed' }),
          batchSize,
        });
        await processor.start();
        return processor.stop;
      },
    });
    const p99 = (arm: AckArm) => round(median(arm.p99Ms), 1);
    const [floor, bareHalf, quiet, draining] = [ack.noop, ack.bare, ack.idle, ack.draining];
    console.log(
      `bare INSERT route          ${Math.round(b.requestsPerSecond)} req/s  p99 ${b.p99Ms} ms  non-2xx ${b.non2xx}`,
    );
    console.log(
      `/webhooks/payments         ${Math.round(o.requestsPerSecond)} req/s  p99 ${o.p99Ms} ms  non-2xx ${o.non2xx}`,
    );
    console.log(
      `ack latency at 50% (${half}/s), open loop, ${ack.draining.p99Ms.length} rounds of ${latencyS} s (p99: median of the rounds [each round])`,
    );
    const line = (label: string, arm: AckArm) =>
      console.log(
        `  ${label.padEnd(26)} p50 ${median(arm.p50Ms)} ms  p99 ${p99(arm)} ms [${arm.p99Ms.join(', ')}]  non-2xx ${arm.non2xx}`,
      );
    line('no-op route (floor)', floor);
    line('bare INSERT route', bareHalf);
    line('ours, inbox idle', quiet);
    line('ours, inbox draining', draining);
    console.log(
      `processing lag while draining: p50 ${ack.lagMs.p50} ms, p99 ${ack.lagMs.p99} ms (receipt → processed, no-op handler)`,
    );
    console.log(
      `ack p99 while draining ÷ inbox idle ${round(p99(draining) / p99(quiet))}, ÷ bare ${round(p99(draining) / p99(bareHalf))}, ÷ no-op ${round(p99(draining) / p99(floor))}`,
    );
    if (o.non2xx || b.non2xx || quiet.non2xx || draining.non2xx || bareHalf.non2xx || floor.non2xx)
      throw new Error('non-2xx answers during the benchmark');
    report({
      name: 'webhook-intake',
      value: round(o.requestsPerSecond, 1),
      baseline: round(b.requestsPerSecond, 1),
      ratio: round(o.requestsPerSecond / b.requestsPerSecond),
      unit: 'signed deliveries/s',
      target: 'ratio >= 0.8; ack p99 at 50% <= 20 ms; processing lag p99 <= 1000 ms',
      p99AtHalfRateMs: p99(draining),
      p99AtHalfRateIdleInboxMs: p99(quiet),
      bareP99AtHalfRateMs: p99(bareHalf),
      noopP99AtHalfRateMs: p99(floor),
      drainingOverIdleP99: round(p99(draining) / p99(quiet)),
      drainingOverBareP99: round(p99(draining) / p99(bareHalf)),
      processorBatchSize: batchSize,
      processingLagP99Ms: ack.lagMs.p99,
      halfRate: half,
      durationS,
    });
  } finally {
    await app.server.close();
    await bareServer.close();
    await db.close();
  }
}
