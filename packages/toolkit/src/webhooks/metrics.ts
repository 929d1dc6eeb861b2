/** Webhook metrics: deliveries received / duplicated / rejected, processing lag, and the inbox's backlog. */
import { Counter, Histogram, type Registry } from 'prom-client';
import { type BackgroundErrors, createQueryGauge, registerOnce } from '../observability/index.ts';
import type { Queryable } from '../postgres/index.ts';

export function createWebhookMetrics(registry: Registry) {
  return {
    received: registerOnce(
      registry,
      'steadfast_webhooks_received_total',
      () =>
        new Counter({
          name: 'steadfast_webhooks_received_total',
          help: 'Verified deliveries stored in the inbox',
          labelNames: ['source'] as const,
          registers: [registry],
        }),
    ),
    duplicated: registerOnce(
      registry,
      'steadfast_webhooks_duplicated_total',
      () =>
        new Counter({
          name: 'steadfast_webhooks_duplicated_total',
          help: 'Verified deliveries already in the inbox',
          labelNames: ['source'] as const,
          registers: [registry],
        }),
    ),
    rejected: registerOnce(
      registry,
      'steadfast_webhooks_rejected_total',
      () =>
        new Counter({
          name: 'steadfast_webhooks_rejected_total',
          help: 'Deliveries refused, by reason',
          labelNames: ['source', 'reason'] as const,
          registers: [registry],
        }),
    ),
    lag: registerOnce(
      registry,
      'steadfast_webhook_processing_lag_seconds',
      () =>
        new Histogram({
          name: 'steadfast_webhook_processing_lag_seconds',
          help: 'From receipt to processed',
          labelNames: ['source', 'outcome'] as const,
          buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60],
          registers: [registry],
        }),
    ),
  };
}

export type WebhookMetrics = ReturnType<typeof createWebhookMetrics>;

/**
 * The inbox's backlog, read when scraped (one query each, none per delivery):
 * deliveries waiting to be processed, the age of the oldest one (the lag an
 * operator pages on) and deliveries that failed, by source.
 */
export function createWebhookInboxMetrics(options: {
  registry: Registry;
  db: Queryable;
  errors: BackgroundErrors;
}) {
  const { registry, db, errors } = options;
  const pending = createQueryGauge({
    registry,
    errors,
    name: 'steadfast_webhook_inbox_pending',
    help: 'Verified deliveries in the inbox not processed yet, by source',
    labelNames: ['source'],
    read: async () => {
      const { rows } = await db.query<{ source: string; n: number }>(
        `SELECT source, count(*)::int AS n FROM webhook_inbox WHERE status = 'received' GROUP BY source`,
      );
      return rows.map((row) => ({ labels: { source: row.source }, value: row.n }));
    },
  });
  const lag = createQueryGauge({
    registry,
    errors,
    name: 'steadfast_webhook_inbox_lag_seconds',
    help: 'Age of the oldest unprocessed delivery in the inbox, by source (no sample when none waits)',
    labelNames: ['source'],
    read: async () => {
      const { rows } = await db.query<{ source: string; age: number }>(
        `SELECT source, extract(epoch FROM now() - min(received_at))::float8 AS age
         FROM webhook_inbox WHERE status = 'received' GROUP BY source`,
      );
      return rows.map((row) => ({ labels: { source: row.source }, value: Math.max(0, row.age) }));
    },
  });
  const failed = createQueryGauge({
    registry,
    errors,
    name: 'steadfast_webhook_inbox_failed',
    help: 'Deliveries kept in the inbox as failed (unusable or out of attempts), by source',
    labelNames: ['source'],
    read: async () => {
      const { rows } = await db.query<{ source: string; n: number }>(
        `SELECT source, count(*)::int AS n FROM webhook_inbox WHERE status = 'failed' GROUP BY source`,
      );
      return rows.map((row) => ({ labels: { source: row.source }, value: row.n }));
    },
  });
  return { pending, lag, failed };
}

export type WebhookInboxMetrics = ReturnType<typeof createWebhookInboxMetrics>;
