/** createIdempotencyMetrics: each counter's name, help and labels, registered on the given registry once. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { metricByLabel, metricValues } from '../testing/index.ts';
import { createIdempotencyMetrics } from './metrics.ts';

const HELP = {
  steadfast_idempotency_requests_total:
    'Idempotent requests by outcome: executed, replayed, in_flight_conflict, fingerprint_mismatch, taken_over',
  steadfast_idempotency_batches_total:
    'Coalesced insertOnce statements sent (group commit), by statement; rows ÷ batches is the mean batch size',
  steadfast_idempotency_batched_rows_total:
    'Requests written through coalesced insertOnce statements, by statement',
  steadfast_idempotency_reaped_total: 'Expired idempotency records deleted by the reaper',
};

describe('createIdempotencyMetrics', () => {
  test('four counters on the registry, by name, with their help and label names', async () => {
    const registry = new Registry();
    createIdempotencyMetrics(registry);
    const json = await registry.getMetricsAsJSON();
    assert.deepEqual(
      json.map(({ name, help, type }) => ({ name, help, type })),
      Object.entries(HELP).map(([name, help]) => ({ name, help, type: 'counter' })),
    );
    const labelNames = (name: string) =>
      (registry.getSingleMetric(name) as unknown as { labelNames: string[] }).labelNames;
    assert.deepEqual(labelNames('steadfast_idempotency_requests_total'), ['outcome']);
    assert.deepEqual(labelNames('steadfast_idempotency_batches_total'), ['statement']);
    assert.deepEqual(labelNames('steadfast_idempotency_batched_rows_total'), ['statement']);
    assert.deepEqual(labelNames('steadfast_idempotency_reaped_total'), []);
  });

  test('what is counted reaches the registry under each name', async () => {
    const registry = new Registry();
    const metrics = createIdempotencyMetrics(registry);
    metrics.requests.inc({ outcome: 'replayed' });
    metrics.batches.statements.inc({ statement: 'notes.insert' });
    metrics.batches.rows.inc({ statement: 'notes.insert' }, 7);
    metrics.reaped.inc(3);
    assert.deepEqual(await metricByLabel(registry, 'steadfast_idempotency_requests_total', 'outcome'), {
      replayed: 1,
    });
    assert.deepEqual(await metricByLabel(registry, 'steadfast_idempotency_batches_total', 'statement'), {
      'notes.insert': 1,
    });
    assert.deepEqual(await metricByLabel(registry, 'steadfast_idempotency_batched_rows_total', 'statement'), {
      'notes.insert': 7,
    });
    assert.deepEqual(await metricValues(registry, 'steadfast_idempotency_reaped_total'), [
      { labels: {}, value: 3 },
    ]);
  });

  test('called again on the same registry: the same counters back, no "already registered" error', () => {
    const registry = new Registry();
    const first = createIdempotencyMetrics(registry);
    const again = createIdempotencyMetrics(registry);
    assert.equal(again.requests, first.requests);
    assert.equal(again.batches.statements, first.batches.statements);
    assert.equal(again.batches.rows, first.batches.rows);
    assert.equal(again.reaped, first.reaped);
    // another registry gets its own
    assert.notEqual(createIdempotencyMetrics(new Registry()).requests, first.requests);
  });
});
