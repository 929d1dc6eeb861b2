/** createVersioningMetrics on its own: the counter's name, help and labels, registered once per registry. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { metricValues } from '../testing/index.ts';
import { createVersioningMetrics } from './metrics.ts';

test('one counter, registered on the registry given, with its help text', async () => {
  const registry = new Registry();
  const { requests } = createVersioningMetrics(registry);
  assert.equal(registry.getSingleMetric('steadfast_api_version_requests_total'), requests);
  requests.inc({ version: '2026-06-01', deprecated: 'true' });
  assert.equal(
    await registry.metrics(),
    [
      '# HELP steadfast_api_version_requests_total Requests by the API version that answered them; deprecated="true" when the version or the endpoint is deprecated',
      '# TYPE steadfast_api_version_requests_total counter',
      'steadfast_api_version_requests_total{version="2026-06-01",deprecated="true"} 1',
      '',
    ].join('\n'),
  );
});

test('labelled by version and deprecated only', async () => {
  const registry = new Registry();
  const { requests } = createVersioningMetrics(registry);
  requests.inc({ version: '2026-12-01', deprecated: 'false' }, 2);
  assert.deepEqual(await metricValues(requests), [
    { labels: { version: '2026-12-01', deprecated: 'false' }, value: 2 },
  ]);
  assert.throws(() => requests.inc({ route: '/x' } as never), /label/i);
});

test('a second call on the same registry gets the same counter; another registry its own', () => {
  const registry = new Registry();
  const first = createVersioningMetrics(registry).requests;
  assert.equal(createVersioningMetrics(registry).requests, first);
  const other = new Registry();
  const second = createVersioningMetrics(other).requests;
  assert.notEqual(second, first);
  assert.equal(other.getSingleMetric('steadfast_api_version_requests_total'), second);
});
