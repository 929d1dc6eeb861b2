import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config.ts';
import { lineageConfig } from './config-lineage.ts';
import { ConfigError } from './config-values.ts';

test('defaults: lineage on, kept 7 days', () => {
  assert.deepEqual(lineageConfig({}), { enabled: true, retentionS: 7 * 86_400 });
  assert.deepEqual(loadConfig({}, '/tmp').lineage, { enabled: true, retentionS: 7 * 86_400 });
  assert.deepEqual(lineageConfig({ LINEAGE: 'off', LINEAGE_RETENTION_DAYS: '30' }), {
    enabled: false,
    retentionS: 30 * 86_400,
  });
});

test('a bad value stops the start naming the variable', () => {
  for (const [name, value] of [
    ['LINEAGE', 'maybe'],
    ['LINEAGE_RETENTION_DAYS', '0'],
    ['LINEAGE_RETENTION_DAYS', '-1'],
    ['LINEAGE_RETENTION_DAYS', 'week'],
    ['LINEAGE_RETENTION_DAYS', '1.5'],
    ['LINEAGE_RETENTION_DAYS', '366'],
  ]) {
    assert.throws(
      () => loadConfig({ [name]: value }, '/tmp'),
      (error: unknown) =>
        error instanceof ConfigError && error.variable === name && error.message.startsWith(name),
      `${name}=${value}`,
    );
  }
});
