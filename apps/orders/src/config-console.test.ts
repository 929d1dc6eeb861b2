import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config.ts';
import { consoleConfig } from './config-console.ts';
import { ConfigError } from './config-values.ts';

test('defaults: console on, history written every 10 s and kept 7 days, stuck after 5 min', () => {
  const defaults = {
    enabled: true,
    historyIntervalMs: 10_000,
    historyRetentionS: 7 * 86_400,
    stuckAfterMs: 300_000,
  };
  assert.deepEqual(consoleConfig({}), defaults);
  assert.deepEqual(loadConfig({}, '/tmp').console, defaults);
  assert.deepEqual(
    consoleConfig({
      CONSOLE: 'off',
      CONSOLE_HISTORY_INTERVAL_S: '60',
      CONSOLE_HISTORY_RETENTION_DAYS: '30',
      CONSOLE_STUCK_AFTER_S: '900',
    }),
    { enabled: false, historyIntervalMs: 60_000, historyRetentionS: 30 * 86_400, stuckAfterMs: 900_000 },
  );
});

test('a bad value stops the start naming the variable', () => {
  for (const [name, value] of [
    ['CONSOLE', 'sometimes'],
    ['CONSOLE_HISTORY_INTERVAL_S', '0'],
    ['CONSOLE_HISTORY_INTERVAL_S', '301'],
    ['CONSOLE_HISTORY_RETENTION_DAYS', 'week'],
    ['CONSOLE_STUCK_AFTER_S', '5'],
  ]) {
    assert.throws(
      () => loadConfig({ [name]: value }, '/tmp'),
      (error: unknown) =>
        error instanceof ConfigError && error.variable === name && error.message.startsWith(name),
      `${name}=${value}`,
    );
  }
});
