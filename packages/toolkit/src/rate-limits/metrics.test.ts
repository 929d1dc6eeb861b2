/** createRateLimitMetrics on its own: the counter and the gauge by name, help and labels, registered once per registry. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { metricValues } from '../testing/index.ts';
import { createRateLimitMetrics } from './metrics.ts';

test('the refusals counter by class and the held-refusals gauge, on the registry given, with their help texts', async () => {
  const registry = new Registry();
  const { limited, held } = createRateLimitMetrics(registry);
  assert.equal(registry.getSingleMetric('steadfast_rate_limited_total'), limited);
  assert.equal(registry.getSingleMetric('steadfast_rate_limit_held_refusals'), held);
  limited.inc({ class: 'writes' });
  held.inc(2);
  assert.equal(
    await registry.metrics(),
    [
      '# HELP steadfast_rate_limited_total Requests refused with 429 rate-limited, by route class',
      '# TYPE steadfast_rate_limited_total counter',
      'steadfast_rate_limited_total{class="writes"} 1',
      '',
      '# HELP steadfast_rate_limit_held_refusals Refusals (429) held before they are sent, right now',
      '# TYPE steadfast_rate_limit_held_refusals gauge',
      'steadfast_rate_limit_held_refusals 2',
      '',
    ].join('\n'),
  );
  assert.deepEqual(await metricValues(limited), [{ labels: { class: 'writes' }, value: 1 }]);
  assert.throws(() => limited.inc({ route: '/x' } as never), /label/i);
});

test('a second call on the same registry gets the same metrics; another registry its own', () => {
  const registry = new Registry();
  const first = createRateLimitMetrics(registry);
  const again = createRateLimitMetrics(registry);
  assert.equal(again.limited, first.limited);
  assert.equal(again.held, first.held);
  const other = new Registry();
  const second = createRateLimitMetrics(other);
  assert.notEqual(second.limited, first.limited);
  assert.notEqual(second.held, first.held);
  assert.equal(other.getSingleMetric('steadfast_rate_limited_total'), second.limited);
  assert.equal(other.getSingleMetric('steadfast_rate_limit_held_refusals'), second.held);
});
