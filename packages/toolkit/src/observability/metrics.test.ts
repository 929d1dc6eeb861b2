/** The route label's template form, and gauges read when scraped: their values, and a failed read. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { createLogCapture } from '../testing/index.ts';
import { createBackgroundErrors } from './background-errors.ts';
import { createLogger } from './logger.ts';
import { createHttpMetrics, createQueryGauge, routeLabel } from './metrics.ts';

describe('routeLabel', () => {
  test("Fastify's :params become OpenAPI's {params}; no route is one fixed value", () => {
    assert.equal(routeLabel('/items/:id'), '/items/{id}');
    assert.equal(routeLabel('/items/:id/parts/:partId(^\\d+)'), '/items/{id}/parts/{partId}');
    assert.equal(routeLabel('/items'), '/items');
    assert.equal(routeLabel(undefined), 'unmatched');
  });
});

describe('createHttpMetrics', () => {
  test("defaultMetrics: prom-client's standard names, once per registry", async () => {
    const registry = new Registry();
    createHttpMetrics({ registry, defaultMetrics: true });
    createHttpMetrics({ registry, defaultMetrics: true }); // no "already registered"
    const text = await registry.metrics();
    assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
    assert.match(text, /^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
    assert.doesNotMatch(text, /steadfast_process_|steadfast_nodejs_/);
  });
});

describe('createQueryGauge', () => {
  const setup = (read: () => Promise<Array<{ labels?: Record<string, string>; value: number }>>) => {
    const registry = new Registry();
    const logs = createLogCapture();
    const errors = createBackgroundErrors({
      log: createLogger({ level: 'info', destination: logs.stream }),
      registry,
    });
    createQueryGauge({
      registry,
      errors,
      name: 'shop_baskets_open',
      help: 'Open baskets',
      labelNames: ['shop'],
      read,
    });
    return { registry, logs };
  };

  test('each scrape reads again; a label gone from the rows is gone from the gauge', async () => {
    let rows = [
      { labels: { shop: 'a' }, value: 2 },
      { labels: { shop: 'b' }, value: 5 },
    ];
    let reads = 0;
    const { registry } = setup(async () => {
      reads++;
      return rows;
    });
    assert.match(await registry.metrics(), /shop_baskets_open\{shop="b"\} 5/);
    rows = [{ labels: { shop: 'a' }, value: 3 }];
    const text = await registry.metrics();
    assert.match(text, /shop_baskets_open\{shop="a"\} 3/);
    assert.doesNotMatch(text, /shop="b"/);
    assert.equal(reads, 2);
  });

  test('a failed read never fails the scrape: no stale samples, logged and counted', async () => {
    let fail = false;
    const { registry, logs } = setup(async () => {
      if (fail) throw new Error('connection refused');
      return [{ labels: { shop: 'a' }, value: 7 }];
    });
    assert.match(await registry.metrics(), /shop_baskets_open\{shop="a"\} 7/);
    fail = true;
    const text = await registry.metrics();
    assert.doesNotMatch(text, /shop_baskets_open\{/);
    assert.match(text, /# HELP shop_baskets_open Open baskets/);
    const counted = await registry.getSingleMetric('steadfast_background_errors_total')?.get();
    assert.deepEqual(
      counted?.values.map((v) => [v.labels, v.value]),
      [[{ component: 'metrics' }, 1]],
    );
    const line = logs.lines().find((l) => l.component === 'metrics');
    assert.equal(line?.metric, 'shop_baskets_open');
    assert.match(String((line?.err as { message?: string } | undefined)?.message), /connection refused/);
  });
});
