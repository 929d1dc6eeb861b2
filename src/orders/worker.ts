/**
 * The worker role of the Orders service: durable tasks (take-payment), the
 * outbox dispatcher (notifications), heartbeats and dead letters.
 */
import type { Registry } from 'prom-client';
import { type FaultPoints, noFaults } from '../toolkit/faults/index.ts';
import type { IdGenerator } from '../toolkit/ids/index.ts';
import { createJobMetrics, createJobRunner, insertDeadLetter } from '../toolkit/jobs/index.ts';
import type { Logger } from '../toolkit/observability/index.ts';
import { reapOperations } from '../toolkit/operations/index.ts';
import { createOutboxDispatcher, reapOutbox } from '../toolkit/outbox/index.ts';
import type { Pool } from '../toolkit/postgres/index.ts';
import { BrokenCircuitError, BulkheadRejectedError } from '../toolkit/resilience/index.ts';
import { problemRegistry } from './app.ts';
import { notificationDeliverer } from './jobs/notifications.ts';
import { takePaymentTask } from './jobs/take-payment.ts';
import type { Partners } from './partners/index.ts';

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
  /** how long finished operations and delivered outbox rows are kept (default 30 days) */
  retentionS?: number;
}

export function createOrdersWorker(options: OrdersWorkerOptions) {
  const { pool, log, ids } = options;
  const registry = problemRegistry();
  const runner = createJobRunner({
    pool,
    log,
    metrics: createJobMetrics(options.registry, pool),
    tasks: [
      takePaymentTask({
        db: pool,
        ids,
        registry,
        payments: options.partners.payments,
        faults: options.faults ?? noFaults,
      }),
      {
        // retention: finished operations and delivered outbox rows
        name: 'reap-finished',
        async run() {
          while ((await reapOperations(pool, options.retentionS ?? 30 * 86400)) === 500) {}
          while ((await reapOutbox(pool, options.retentionS ?? 30 * 86400)) === 500) {}
        },
      },
      {
        name: 'outbox-redeliver',
        async run(p: { eventId?: string }) {
          await pool.query(
            `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now() WHERE id = $1 AND status = 'dead'`,
            [p.eventId],
          );
        },
      },
    ] as never[],
    newId: (prefix) => ids.next(prefix),
    defaultMaxAttempts: options.jobMaxAttempts,
    defaultMaxDelayMs: options.jobMaxDelayMs,
    workerDeadAfterS: options.workerDeadAfterS,
    concurrency: options.concurrency,
    periodic: [{ task: 'reap-finished', everyMs: 60_000 }],
  });
  const dispatcher = createOutboxDispatcher({
    db: pool,
    log,
    deliver: notificationDeliverer(pool, options.partners.messaging),
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
  return {
    async start() {
      await runner.start();
      dispatcher.start();
    },
    async stop() {
      await dispatcher.stop();
      await runner.stop();
    },
    runner,
    dispatcher,
  };
}
