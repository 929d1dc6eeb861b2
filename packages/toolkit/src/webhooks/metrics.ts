/** Webhook metrics: deliveries received / duplicated / rejected, and processing lag. */
import { Counter, Histogram, type Registry } from 'prom-client';
import { registerOnce } from '../observability/index.ts';

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
