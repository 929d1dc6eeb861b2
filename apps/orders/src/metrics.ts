/**
 * The database-wide gauges of work in flight, on the web role's registry:
 * outbox backlog, webhook inbox lag, open and stuck operations, open dead
 * letters, live workers. Each is one cheap query when /metrics is scraped,
 * none per request; the web role reports them so they stay visible (and
 * alert) when every worker is gone. Every gauge is in docs/ops/monitoring.md.
 */
import { createDeadLetterMetrics } from '@steadfast/toolkit/jobs';
import type { BackgroundErrors } from '@steadfast/toolkit/observability';
import { createOperationMetrics } from '@steadfast/toolkit/operations';
import { createOutboxMetrics } from '@steadfast/toolkit/outbox';
import type { Queryable } from '@steadfast/toolkit/postgres';
import { createWebhookInboxMetrics } from '@steadfast/toolkit/webhooks';
import type { Registry } from 'prom-client';

export function registerWorkGauges(deps: {
  registry: Registry;
  db: Queryable;
  errors: BackgroundErrors;
  /** `stuckAfterMs` (CONSOLE_STUCK_AFTER_S): the console's and the gauge's idea of stuck are the same */
  console?: { stuckAfterMs?: number };
  /** WORKER_DEAD_AFTER_S (default 30) */
  workerDeadAfterS?: number;
}) {
  const { registry, db, errors } = deps;
  return {
    outbox: createOutboxMetrics({ registry, db, errors }),
    inbox: createWebhookInboxMetrics({ registry, db, errors }),
    operations: createOperationMetrics({ registry, db, errors, stuckAfterMs: deps.console?.stuckAfterMs }),
    deadLetters: createDeadLetterMetrics({ registry, db, errors, workerDeadAfterS: deps.workerDeadAfterS }),
  };
}
