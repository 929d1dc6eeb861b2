/**
 * The worker role of the Orders service: durable tasks (take-payment), the
 * outbox dispatcher (notifications), heartbeats and dead letters.
 */

import { type FaultPoints, noFaults } from '@steadfast/toolkit/faults';
import type { IdGenerator } from '@steadfast/toolkit/ids';
import { createJobMetrics, createJobRunner, insertDeadLetter } from '@steadfast/toolkit/jobs';
import type { LineageRecorder } from '@steadfast/toolkit/lineage';
import { createBackgroundErrors, type Logger, type Tracer } from '@steadfast/toolkit/observability';
import { reapOperations, updateOperation } from '@steadfast/toolkit/operations';
import { createOutboxDispatcher, reapOutbox, requeueOutboxEvent } from '@steadfast/toolkit/outbox';
import type { Pool } from '@steadfast/toolkit/postgres';
import { BrokenCircuitError, BulkheadRejectedError } from '@steadfast/toolkit/resilience';
import {
  createInboxProcessor,
  createWebhookMetrics,
  reapInbox,
  requeueInboxRow,
  type WebhookMetrics,
} from '@steadfast/toolkit/webhooks';
import type { Registry } from 'prom-client';
import { problemRegistry } from './app.ts';
import { createProcessHistory, HISTORY_RETENTION_DEFAULT_S, reapConsoleState } from './console/wiring.ts';
import { BACKFILL_ORDER_CUSTOMER_TASK, createOrderCustomerBackfill } from './jobs/backfill-order-customer.ts';
import { notificationDeliverer } from './jobs/notifications.ts';
import { takePaymentTask } from './jobs/take-payment.ts';
import { createOrdersLineage, LINEAGE_RETENTION_DEFAULT_S, reapOrdersLineage } from './lineage/wiring.ts';
import type { Partners } from './partners/index.ts';
import { paymentMismatches, reconciliationCorrections } from './payments/metrics.ts';
import { reconcilePayments } from './payments/reconcile.ts';
import { paymentWebhookHandler } from './payments/verify-then-act.ts';

export interface OrdersWorkerOptions {
  pool: Pool;
  log: Logger;
  registry: Registry;
  ids: IdGenerator;
  partners: Partners;
  faults?: FaultPoints;
  jobMaxAttempts?: number;
  jobMaxDelayMs?: number;
  workerDeadAfterS?: number;
  concurrency?: number;
  /** how long finished operations, delivered outbox rows and handled webhooks are kept (default 30 days) */
  retentionS?: number;
  reconcile?: { intervalS: number; pendingAgeS: number; abandonAfterS: number };
  /** the app's, when web and worker share a process (one registry cannot hold a metric twice) */
  webhookMetrics?: WebhookMetrics;
  /** tracing on: job-run, outbox-delivery and webhook-processing spans */
  tracer?: Tracer;
  /**
   * request lineage of the worker's partner attempts: `recorder` when the web role's is shared (one
   * process), else `enabled` makes the worker's own; `retentionS` (default 7 days) bounds the rows reaped
   */
  lineage?: { enabled?: boolean; retentionS?: number; recorder?: LineageRecorder };
  /**
   * the per-minute egress history of the worker's partner calls, for the console: `enabled` (default
   * off — on in `steadfast worker`; off when the partners are the web role's, which records them), one
   * write per interval; `retentionS` (default 7 days) bounds the rows reaped, with expired console sessions
   */
  history?: { enabled?: boolean; intervalMs?: number; instanceId?: string; retentionS?: number };
}

export function createOrdersWorker(options: OrdersWorkerOptions) {
  const { pool, log, ids } = options;
  const registry = problemRegistry();
  const errors = createBackgroundErrors({ log, registry: options.registry });
  const webhookMetrics = options.webhookMetrics ?? createWebhookMetrics(options.registry);
  const corrections = reconciliationCorrections(options.registry);
  const reconcile = options.reconcile ?? { intervalS: 60, pendingAgeS: 120, abandonAfterS: 3600 };
  const paymentDeps = {
    db: pool,
    ids,
    registry,
    payments: options.partners.payments,
    mismatches: paymentMismatches(options.registry),
    log,
  };
  // a shared recorder is the web role's to start and stop; the worker's own is the worker's
  const ownLineage =
    options.lineage?.enabled && !options.lineage.recorder
      ? createOrdersLineage({
          db: pool,
          log,
          errors,
          registry: options.registry,
          clients: options.partners.clients,
        })
      : undefined;
  for (const client of options.partners.clients) options.lineage?.recorder?.attach(client);
  const history = !options.history?.enabled
    ? undefined
    : createProcessHistory({
        db: pool,
        errors,
        clock: { now: () => Date.now() },
        role: 'worker',
        options: { ...options.history, historyIntervalMs: options.history?.intervalMs },
      });
  for (const client of options.partners.clients) history?.attach(client);
  const sweep = () =>
    reconcilePayments(paymentDeps, {
      pendingAgeS: reconcile.pendingAgeS,
      abandonAfterS: reconcile.abandonAfterS,
      onCorrection: (outcome) => corrections.inc({ outcome }),
    });
  // expand-contract of the order's customer (docs/evolution.md): until every row has one
  const backfill = createOrderCustomerBackfill({ db: pool, log, registry: options.registry });
  const runner = createJobRunner({
    pool,
    log,
    errors,
    metrics: createJobMetrics(options.registry, pool, errors),
    tracer: options.tracer,
    tasks: [
      takePaymentTask({ ...paymentDeps, faults: options.faults ?? noFaults }),
      {
        // retention: finished operations and delivered outbox rows
        name: 'reap-finished',
        async run() {
          const keep = options.retentionS ?? 30 * 86400;
          await reapOperations(pool, keep);
          await reapOutbox(pool, keep);
          await reapInbox(pool, keep);
          await reapOrdersLineage(
            pool,
            options.lineage?.retentionS ?? LINEAGE_RETENTION_DEFAULT_S,
            Date.now(),
          );
          await reapConsoleState(pool, {
            historyRetentionS: options.history?.retentionS ?? HISTORY_RETENTION_DEFAULT_S,
            now: Date.now(),
          });
        },
      },
      { name: 'reconcile-payments', maxAttempts: 1, run: async () => void (await sweep()) },
      backfill.task,
      {
        // POST /v1/reconciliations: one run now, reported on its operation
        name: 'reconcile-now',
        async run(p: { operationId: string }) {
          const result = await sweep();
          await updateOperation(pool, p.operationId, { status: 'succeeded', result });
        },
      },
      {
        name: 'webhook-reprocess',
        async run(p: { inboxId?: string }) {
          if (p.inboxId) await requeueInboxRow(pool, p.inboxId);
        },
      },
      {
        name: 'outbox-redeliver',
        async run(p: { eventId?: string }) {
          if (p.eventId) await requeueOutboxEvent(pool, p.eventId);
        },
      },
    ] as never[],
    newId: (prefix) => ids.next(prefix),
    defaultMaxAttempts: options.jobMaxAttempts,
    defaultMaxDelayMs: options.jobMaxDelayMs,
    workerDeadAfterS: options.workerDeadAfterS,
    concurrency: options.concurrency,
    periodic: [
      { task: 'reap-finished', everyMs: 60_000 },
      { task: 'reconcile-payments', everyMs: reconcile.intervalS * 1000 },
      { task: BACKFILL_ORDER_CUSTOMER_TASK, everyMs: 60_000 },
    ],
  });
  const dispatcher = createOutboxDispatcher({
    db: pool,
    log,
    errors,
    deliver: notificationDeliverer(pool, options.partners.messaging),
    tracer: options.tracer,
    maxAttempts: options.jobMaxAttempts,
    maxDelayMs: options.jobMaxDelayMs,
    isBackPressure: (error) => error instanceof BrokenCircuitError || error instanceof BulkheadRejectedError,
    onDead: (event, error) =>
      insertDeadLetter(pool, {
        id: ids.next('dl'),
        tenantId: event.tenantId,
        task: 'outbox-redeliver',
        payload: { eventId: event.id, type: event.type },
        attempts: event.attempts,
        errorCategory: 'exhausted',
        errorMessage: error instanceof Error ? error.message : String(error),
        firstFailedAt: event.createdAt,
      }),
  });
  const inbox = createInboxProcessor({
    db: pool,
    log,
    errors,
    metrics: webhookMetrics,
    handle: paymentWebhookHandler(paymentDeps),
    tracer: options.tracer,
    maxAttempts: options.jobMaxAttempts,
    maxDelayMs: options.jobMaxDelayMs,
    onFailed: (row, error) =>
      insertDeadLetter(pool, {
        id: ids.next('dl'),
        tenantId: null, // webhooks are system work: visible with the ops scope
        task: 'webhook-reprocess',
        payload: { inboxId: row.id, source: row.source, webhookId: row.webhookId },
        attempts: row.attempts,
        errorCategory: 'exhausted',
        errorMessage: error instanceof Error ? error.message : String(error),
        firstFailedAt: row.receivedAt.toISOString(),
      }),
  });
  return {
    async start() {
      await runner.start();
      ownLineage?.start();
      history?.start();
      try {
        await dispatcher.start();
        await inbox.start();
      } catch (error) {
        // one role, one fate: a dispatcher that cannot start stops the whole worker
        await inbox.stop();
        await dispatcher.stop();
        await runner.stop();
        await ownLineage?.stop();
        await history?.stop();
        throw error;
      }
    },
    async stop() {
      await inbox.stop();
      await dispatcher.stop();
      await runner.stop();
      await ownLineage?.stop(); // the last attempts are written
      await history?.stop(); // and the last minute of the history
    },
    runner,
    dispatcher,
    inbox,
    sweep,
    backfill,
  };
}
