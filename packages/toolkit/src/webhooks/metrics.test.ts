/**
 * The webhook metrics as a scrape sees them: their names, labels and the lag
 * histogram's buckets, registered in the registry they were made for, and the
 * same instances when made twice on one registry (two intakes, one processor).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { createBackgroundErrors, createLogger } from '../observability/index.ts';
import { metricValues } from '../testing/index.ts';
import { createWebhookInboxMetrics, createWebhookMetrics } from './metrics.ts';

const log = createLogger({ level: 'silent' });
/** never queried in these tests: the gauges read only when scraped */
const noDb = {
  query: async () => {
    throw new Error('not queried');
  },
};

describe('createWebhookMetrics', () => {
  test('the counters and the histogram, by name, in the given registry', async () => {
    const registry = new Registry();
    const metrics = createWebhookMetrics(registry);
    metrics.received.inc({ source: 'billing' });
    metrics.duplicated.inc({ source: 'billing' }, 2);
    metrics.rejected.inc({ source: 'crm', reason: 'signature-invalid' });
    metrics.lag.observe({ source: 'billing', outcome: 'processed' }, 0.2);
    assert.deepEqual(await metricValues(registry, 'steadfast_webhooks_received_total'), [
      { labels: { source: 'billing' }, value: 1 },
    ]);
    assert.deepEqual(await metricValues(registry, 'steadfast_webhooks_duplicated_total'), [
      { labels: { source: 'billing' }, value: 2 },
    ]);
    assert.deepEqual(await metricValues(registry, 'steadfast_webhooks_rejected_total'), [
      { labels: { source: 'crm', reason: 'signature-invalid' }, value: 1 },
    ]);
    const lag = await metricValues(registry, 'steadfast_webhook_processing_lag_seconds');
    assert.deepEqual(
      lag.filter((s) => s.metricName?.endsWith('_bucket')).map((s) => [s.labels.le, s.value]),
      [
        [0.01, 0],
        [0.05, 0],
        [0.1, 0],
        [0.25, 1],
        [0.5, 1],
        [1, 1],
        [2.5, 1],
        [5, 1],
        [10, 1],
        [60, 1],
        ['+Inf', 1],
      ],
    );
    assert.deepEqual(
      registry
        .getMetricsAsArray()
        .map((m) => m.name)
        .sort(),
      [
        'steadfast_webhook_processing_lag_seconds',
        'steadfast_webhooks_duplicated_total',
        'steadfast_webhooks_received_total',
        'steadfast_webhooks_rejected_total',
      ],
    );
  });

  test('made twice on one registry: the same metrics, not a second registration', () => {
    const registry = new Registry();
    const first = createWebhookMetrics(registry);
    const second = createWebhookMetrics(registry);
    assert.equal(second.received, first.received);
    assert.equal(second.duplicated, first.duplicated);
    assert.equal(second.rejected, first.rejected);
    assert.equal(second.lag, first.lag);
  });
});

describe('createWebhookInboxMetrics', () => {
  test('returns the three backlog gauges it registered', () => {
    const registry = new Registry();
    const gauges = createWebhookInboxMetrics({ registry, db: noDb, errors: createBackgroundErrors({ log }) });
    assert.deepEqual(Object.keys(gauges).sort(), ['failed', 'lag', 'pending']);
    assert.equal(gauges.pending, registry.getSingleMetric('steadfast_webhook_inbox_pending'));
    assert.equal(gauges.lag, registry.getSingleMetric('steadfast_webhook_inbox_lag_seconds'));
    assert.equal(gauges.failed, registry.getSingleMetric('steadfast_webhook_inbox_failed'));
    assert.ok(gauges.pending);
  });
});
