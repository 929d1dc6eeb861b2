/** The queue-depth gauge: a failed read is reported (logged and counted), the scrape still answers, the gauge shows nothing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createJobMetrics } from '@steadfast/toolkit/jobs';
import type { BackgroundErrors } from '@steadfast/toolkit/observability';
import type { Queryable } from '@steadfast/toolkit/postgres';
import { Registry } from 'prom-client';

test('a database that fails the read: reported once per scrape, and /metrics still renders', async () => {
  const registry = new Registry();
  const reported: { component: string; metric: unknown }[] = [];
  const errors = {
    report: (component: string, _error: unknown, fields?: Record<string, unknown>) =>
      reported.push({ component, metric: fields?.metric }),
  } as unknown as BackgroundErrors;
  const down: Queryable = {
    query: (() => Promise.reject(new Error('connection refused'))) as Queryable['query'],
  };
  createJobMetrics(registry, down, errors);
  const text = await registry.metrics();
  assert.match(text, /# TYPE steadfast_job_queue_depth gauge/);
  assert.doesNotMatch(text, /steadfast_job_queue_depth\{/);
  assert.deepEqual(reported, [{ component: 'metrics', metric: 'steadfast_job_queue_depth' }]);
});
