/** `steadfast worker`: durable jobs and the outbox dispatcher, with /healthz and /metrics on WORKER_METRICS_PORT. */

import { createFaultPoints } from '@steadfast/toolkit/faults';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import { createLogger, startTracing } from '@steadfast/toolkit/observability';
import Fastify from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../config.ts';
import { migrateApp } from '../migrations.ts';
import { createPartners } from '../partners/index.ts';
import { openDatabase } from '../runtime/database.ts';
import { onShutdownSignal } from '../runtime/shutdown.ts';
import { createOrdersWorker } from '../worker.ts';

export async function runWorker(config: Config): Promise<number> {
  // tracing off (the default): the OpenTelemetry SDK is never loaded
  const tracing = config.tracing ? await startTracing(config.tracing) : undefined;
  const logger = createLogger({ level: config.logLevel, traceIds: tracing !== undefined });
  if (config.tracing) logger.info({ url: config.tracing.url, sampler: config.tracing.sampler }, 'tracing on');
  const db = await openDatabase(config, logger, { role: 'tool' });
  await migrateApp(db.pool);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry }); // this worker's process_* and nodejs_*, standard names
  const clock = { now: () => Date.now() };
  const partners = createPartners(config.partners, { log: logger, registry, clock, tracer: tracing?.tracer });
  const worker = createOrdersWorker({
    pool: db.pool,
    log: logger,
    registry,
    ids: createIdGenerator(),
    partners,
    tracer: tracing?.tracer,
    lineage: config.lineage,
    history: {
      enabled: config.console.enabled,
      intervalMs: config.console.historyIntervalMs,
      retentionS: config.console.historyRetentionS,
    },
    faults: createFaultPoints(config.faults),
    jobMaxAttempts: config.jobMaxAttempts,
    jobMaxDelayMs: config.jobMaxDelayMs,
    workerDeadAfterS: config.workerDeadAfterS,
    retentionS: config.operationsRetentionS,
    reconcile: {
      intervalS: config.reconcileIntervalS,
      pendingAgeS: config.reconcilePendingAgeS,
      abandonAfterS: config.paymentAbandonAfterS,
    },
  });
  await worker.start();
  const health = Fastify();
  health.get('/healthz', async () => ({ status: 'ok', workers: worker.runner.workerIds().length }));
  health.get('/metrics', async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  if (config.workerMetricsPort !== 0)
    await health.listen({ port: config.workerMetricsPort, host: config.host });
  onShutdownSignal(
    [
      { name: 'worker', run: () => worker.stop(), timeoutMs: 20_000 },
      { name: 'health', run: () => health.close() },
      { name: 'partners', run: () => partners.close() },
      { name: 'tracing', run: async () => tracing?.shutdown(), timeoutMs: 5_000 },
      { name: 'database', run: () => db.close() },
    ],
    logger,
  );
  process.stdout.write(
    `Steadfast worker running${config.workerMetricsPort ? ` (health and metrics on port ${config.workerMetricsPort})` : ''}\n`,
  );
  return -1;
}
