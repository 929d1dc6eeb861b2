/** The egress metrics as a scrape shows them: names, help, types, labels and buckets (dashboards and alerts read these). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { createEgressMetrics } from './metrics.ts';

test('every egress metric, its help and type, on the registry given', async () => {
  const registry = new Registry();
  createEgressMetrics(registry);
  const headers = (await registry.metrics()).split('\n').filter((line) => line.startsWith('#'));
  assert.deepEqual(headers, [
    '# HELP steadfast_egress_duration_seconds Duration of each attempt to call a dependency, by outcome category',
    '# TYPE steadfast_egress_duration_seconds histogram',
    '# HELP steadfast_egress_retries_total Retries of calls to a dependency',
    '# TYPE steadfast_egress_retries_total counter',
    '# HELP steadfast_egress_retry_budget_exhausted_total Retries refused because the dependency’s retry budget was spent',
    '# TYPE steadfast_egress_retry_budget_exhausted_total counter',
    '# HELP steadfast_egress_rejections_total Calls refused without reaching the dependency (open breaker, full bulkhead)',
    '# TYPE steadfast_egress_rejections_total counter',
    '# HELP steadfast_egress_stale_served_total Answers served from a stale cache entry because the dependency failed',
    '# TYPE steadfast_egress_stale_served_total counter',
    '# HELP steadfast_breaker_state Circuit breaker state per dependency: 0 closed, 1 half-open, 2 open',
    '# TYPE steadfast_breaker_state gauge',
  ]);
});

test('labels and buckets as exposed', async () => {
  const registry = new Registry();
  const m = createEgressMetrics(registry);
  m.duration.observe({ dependency: 'pricing', outcome: 'success' }, 0.003);
  m.retries.inc({ dependency: 'pricing' });
  m.budgetExhausted.inc({ dependency: 'pricing' });
  m.rejections.inc({ dependency: 'pricing', reason: 'breaker-open' });
  m.staleServed.inc({ dependency: 'pricing' });
  m.breakerState.set({ dependency: 'pricing', criticality: 'critical' }, 2);
  const samples = (await registry.metrics())
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'));
  const bucket = (le: string) =>
    `steadfast_egress_duration_seconds_bucket{le="${le}",dependency="pricing",outcome="success"} 1`;
  assert.deepEqual(samples, [
    ...['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'].map(bucket),
    'steadfast_egress_duration_seconds_sum{dependency="pricing",outcome="success"} 0.003',
    'steadfast_egress_duration_seconds_count{dependency="pricing",outcome="success"} 1',
    'steadfast_egress_retries_total{dependency="pricing"} 1',
    'steadfast_egress_retry_budget_exhausted_total{dependency="pricing"} 1',
    'steadfast_egress_rejections_total{dependency="pricing",reason="breaker-open"} 1',
    'steadfast_egress_stale_served_total{dependency="pricing"} 1',
    'steadfast_breaker_state{dependency="pricing",criticality="critical"} 2',
  ]);
});

test('created twice on one registry: the same metrics, registered once', () => {
  const registry = new Registry();
  const first = createEgressMetrics(registry);
  const second = createEgressMetrics(registry);
  assert.equal(second.duration, first.duration);
  assert.equal(second.breakerState, first.breakerState);
  assert.equal(registry.getMetricsAsArray().length, 6);
});
