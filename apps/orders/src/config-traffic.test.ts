import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trafficConfig } from './config-traffic.ts';
import { ConfigError } from './config-values.ts';

test('defaults: limits on for every route class, shedding on, proxies not trusted', () => {
  const config = trafficConfig({});
  assert.deepEqual(config.rateLimits, {
    limits: { writes: 100, reads: 300, 'long-polls': 30 },
    windowS: 1,
    syncIntervalMs: 100,
    refusalDelayMs: 500,
  });
  assert.deepEqual(config.loadShedding, { minLimit: 8, maxLimit: 500, initialLimit: 50 });
  assert.deepEqual(config.authFailures, { max: 20, windowS: 10 });
  assert.equal(config.trustProxy, false);
});

test('a limit of 0, negative or not a number stops the start naming the variable', () => {
  for (const name of [
    'RATE_LIMIT_WRITES',
    'RATE_LIMIT_READS',
    'RATE_LIMIT_LONG_POLLS',
    'RATE_LIMIT_WINDOW_S',
  ]) {
    for (const value of ['0', '-5', 'ten', '1.5', '10/s']) {
      assert.throws(
        () => trafficConfig({ [name]: value }),
        (error: unknown) => error instanceof ConfigError && error.variable === name,
        `${name}=${value}`,
      );
    }
  }
  assert.throws(() => trafficConfig({ AUTH_FAILURES_PER_ADDRESS: '0' }), /AUTH_FAILURES_PER_ADDRESS/);
  assert.throws(() => trafficConfig({ RATE_LIMITS: 'maybe' }), /RATE_LIMITS/);
});

test('overrides of the defaults, and off switches for benchmark baselines', () => {
  const config = trafficConfig({
    RATE_LIMIT_WRITES: '5',
    RATE_LIMIT_WINDOW_S: '60',
    LOAD_SHEDDING: 'off',
    CONCURRENCY_LIMIT_MIN: '2',
  });
  assert.equal(config.rateLimits?.limits.writes, 5);
  assert.equal(config.rateLimits?.windowS, 60);
  assert.equal(config.loadShedding, undefined);
  assert.equal(trafficConfig({ RATE_LIMITS: 'off' }).rateLimits, undefined);
  assert.throws(
    () => trafficConfig({ CONCURRENCY_LIMIT_MIN: '100', CONCURRENCY_LIMIT_MAX: '10' }),
    /CONCURRENCY_LIMIT_MAX: must be at least CONCURRENCY_LIMIT_MIN/,
  );
});

test('HTTP_TRUST_PROXY: on/off, a hop count, or addresses and CIDRs', () => {
  assert.equal(trafficConfig({ HTTP_TRUST_PROXY: 'on' }).trustProxy, true);
  assert.equal(trafficConfig({ HTTP_TRUST_PROXY: 'off' }).trustProxy, false);
  assert.equal(trafficConfig({ HTTP_TRUST_PROXY: '2' }).trustProxy, 2);
  assert.equal(
    trafficConfig({ HTTP_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy,
    '10.0.0.0/8, 127.0.0.1',
  );
  assert.throws(() => trafficConfig({ HTTP_TRUST_PROXY: 'everyone' }), /HTTP_TRUST_PROXY/);
  assert.throws(() => trafficConfig({ HTTP_TRUST_PROXY: '0' }), /HTTP_TRUST_PROXY/);
});
