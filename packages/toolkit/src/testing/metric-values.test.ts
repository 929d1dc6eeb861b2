import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { metricByLabel, metricValues } from './metric-values.ts';

function metrics() {
  const registry = new Registry();
  const counter = new Counter({
    name: 't_requests_total',
    help: 'h',
    labelNames: ['outcome', 'route'],
    registers: [registry],
  });
  const gauge = new Gauge({ name: 't_open', help: 'h', labelNames: ['status'], registers: [registry] });
  const histogram = new Histogram({
    name: 't_lag_seconds',
    help: 'h',
    labelNames: ['source'],
    buckets: [1],
    registers: [registry],
  });
  return { registry, counter, gauge, histogram };
}

describe('metricValues', () => {
  test('every sample with its labels, by metric or by name in a registry', async () => {
    const { registry, counter } = metrics();
    counter.inc({ outcome: 'executed', route: '/a' }, 2);
    counter.inc({ outcome: 'replayed', route: '/a' });
    const expected = [
      { labels: { outcome: 'executed', route: '/a' }, value: 2 },
      { labels: { outcome: 'replayed', route: '/a' }, value: 1 },
    ];
    assert.deepEqual(await metricValues(counter), expected);
    assert.deepEqual(await metricValues(registry, 't_requests_total'), expected);
  });

  test('a histogram’s samples carry their series name', async () => {
    const { histogram } = metrics();
    histogram.observe({ source: 'crm' }, 0.5);
    assert.deepEqual(await metricValues(histogram), [
      { labels: { le: 1, source: 'crm' }, value: 1, metricName: 't_lag_seconds_bucket' },
      { labels: { le: '+Inf', source: 'crm' }, value: 1, metricName: 't_lag_seconds_bucket' },
      { labels: { source: 'crm' }, value: 0.5, metricName: 't_lag_seconds_sum' },
      { labels: { source: 'crm' }, value: 1, metricName: 't_lag_seconds_count' },
    ]);
  });

  test('a name the registry does not know fails, naming it', async () => {
    const { registry } = metrics();
    await assert.rejects(metricValues(registry, 't_nope'), /no metric named t_nope in this registry/);
  });
});

describe('metricByLabel', () => {
  test('totals by one label, other labels folded; a sample without it under the empty string', async () => {
    const { registry, counter, gauge } = metrics();
    counter.inc({ outcome: 'executed', route: '/a' }, 2);
    counter.inc({ outcome: 'executed', route: '/b' }, 3);
    counter.inc({ outcome: 'replayed', route: '/a' });
    counter.inc({ route: '/c' }, 4);
    assert.deepEqual(await metricByLabel(counter, 'outcome'), { executed: 5, replayed: 1, '': 4 });
    assert.deepEqual(await metricByLabel(registry, 't_requests_total', 'route'), {
      '/a': 3,
      '/b': 3,
      '/c': 4,
    });
    gauge.set({ status: 'pending' }, 7);
    assert.deepEqual(await metricByLabel(registry, 't_open', 'status'), { pending: 7 });
  });

  test('a histogram counts its observations per label value', async () => {
    const { histogram } = metrics();
    histogram.observe({ source: 'crm' }, 0.5);
    histogram.observe({ source: 'crm' }, 3);
    histogram.observe({ source: 'billing' }, 9);
    assert.deepEqual(await metricByLabel(histogram, 'source'), { crm: 2, billing: 1 });
  });

  test('an empty metric is an empty object', async () => {
    const { counter } = metrics();
    assert.deepEqual(await metricByLabel(counter, 'outcome'), {});
  });
});
