/** `steadfast start` / `steadfast web`: run the API until a signal stops it. */
import { createFaultPoints } from '@steadfast/toolkit/faults';
import { startKeyReaper } from '@steadfast/toolkit/idempotency';
import { createIdGenerator } from '@steadfast/toolkit/ids';
import { createHttpMetrics, createLogger, startTracing } from '@steadfast/toolkit/observability';
import { buildApp } from '../app.ts';
import type { Config } from '../config.ts';
import { appMigrations, migrateApp } from '../migrations.ts';
import { renderBanner } from '../runtime/banner.ts';
import { openDatabase } from '../runtime/database.ts';
import { ensureDemoOperator, ensureDemoTenant } from '../runtime/demo-tenant.ts';
import { onShutdownSignal, type ShutdownStep } from '../runtime/shutdown.ts';
import { sharedWebhookSecrets } from '../runtime/webhook-secret.ts';
import { createOrdersWorker } from '../worker.ts';
import { startSandbox } from './sandbox.ts';

/** Resolves -1: the process keeps running until a signal ends it. */
export async function runServer(config: Config, options: { role: 'start' | 'web' }): Promise<number> {
  // tracing off (the default): the OpenTelemetry SDK is never loaded
  const tracing = config.tracing ? await startTracing(config.tracing) : undefined;
  const logger = createLogger({ level: config.logLevel, traceIds: tracing !== undefined });
  if (config.tracing) logger.info({ url: config.tracing.url, sampler: config.tracing.sampler }, 'tracing on');
  // created first: the database supervisor counts its restarts in the same registry
  const metrics = createHttpMetrics({ defaultMetrics: true });
  const db = await openDatabase(config, logger, { role: 'server', registry: metrics.registry });
  try {
    const migrations = appMigrations();
    const applied = await migrateApp(db.pool);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const ids = createIdGenerator();
    const demoApiKey = await ensureDemoTenant(db.pool, ids, config);
    const demoOperatorKey = await ensureDemoOperator(db.pool, ids, config);
    // one secret for every replica on this database (PAYMENTS_WEBHOOK_SECRET, else the stored one)
    const webhookSecrets = await sharedWebhookSecrets(db.pool, config);
    const app = await buildApp({
      db: db.pool,
      logger,
      migrations,
      ids,
      metrics,
      httpLimits: config.http,
      idempotency: { retentionS: config.idempotencyRetentionS, leaseS: config.idempotencyLeaseS },
      faults: createFaultPoints(config.faults),
      partners: { urls: config.partners },
      webhooks: { secrets: webhookSecrets, toleranceS: config.paymentsWebhookToleranceS },
      tracer: tracing?.tracer,
      traffic: config.traffic,
      authFailures: config.traffic.authFailures,
      trustProxy: config.traffic.trustProxy,
      lineage: { enabled: config.lineage.enabled },
      console: {
        enabled: config.console.enabled,
        historyIntervalMs: config.console.historyIntervalMs,
        stuckAfterMs: config.console.stuckAfterMs,
      },
    });
    const reaper = startKeyReaper({
      db: db.pool,
      counter: app.idempotencyMetrics.reaped,
      errors: app.errors,
    });
    // start = web + worker in one process
    const worker =
      options.role === 'start' && app.partners
        ? createOrdersWorker({
            pool: db.pool,
            log: logger,
            registry: app.metrics.registry,
            ids,
            partners: app.partners,
            faults: createFaultPoints(config.faults),
            jobMaxAttempts: config.jobMaxAttempts,
            jobMaxDelayMs: config.jobMaxDelayMs,
            workerDeadAfterS: config.workerDeadAfterS,
            retentionS: config.operationsRetentionS,
            webhookMetrics: app.webhookMetrics,
            // one process: the web role's recorder records the worker's attempts too
            lineage: { retentionS: config.lineage.retentionS, recorder: app.lineage },
            // the partners are the web role's, and so is their history: the worker only reaps it
            history: { enabled: false, retentionS: config.console.historyRetentionS },
            tracer: tracing?.tracer,
            reconcile: {
              intervalS: config.reconcileIntervalS,
              pendingAgeS: config.reconcilePendingAgeS,
              abandonAfterS: config.paymentAbandonAfterS,
            },
          })
        : undefined;
    const steps: ShutdownStep[] = [
      // the worker first: closing the server also closes the partner clients it uses
      { name: 'worker', run: async () => worker?.stop(), timeoutMs: 15_000 },
      { name: 'http', run: () => app.server.close(), timeoutMs: 10_000 },
      { name: 'reaper', run: async () => reaper.stop() },
      // the last spans are exported before the process ends
      { name: 'tracing', run: async () => tracing?.shutdown(), timeoutMs: 5_000 },
      { name: 'database', run: () => db.close(), timeoutMs: 40_000 },
    ];
    onShutdownSignal(steps, logger);
    await worker?.start();
    const address = await app.server.listen({ port: config.port, host: config.host });
    // npm start runs the simulated partners beside the API, wired to its webhook endpoint
    const apiUrl = address.replace('[::1]', 'localhost');
    const sandbox =
      options.role === 'start' && config.sandboxPort !== 0
        ? await startSandbox(config, apiUrl, webhookSecrets[0])
        : undefined;
    if (sandbox) steps.unshift({ name: 'sandbox', run: () => sandbox.sandbox.close() });
    if (options.role === 'start') {
      process.stdout.write(
        renderBanner({
          apiUrl,
          demoApiKey: demoApiKey ?? '(none: production creates no demo tenant; see steadfast tenant create)',
          demoOperatorKey:
            demoOperatorKey ??
            '(none: production creates no demo operator; see steadfast key create --operator)',
          dataDir: config.home,
          database: config.databaseUrl ? 'DATABASE_URL' : `embedded Postgres on port ${db.cluster?.port}`,
          sandboxUrl: sandbox?.url,
        }),
      );
    }
    return -1;
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
}
