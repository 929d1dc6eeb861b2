import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retryDelayMs } from './client.ts';

test('Retry-After is honoured (capped at 5 s); without it, a jittered backoff capped at 2 s', () => {
  assert.equal(retryDelayMs('2', 0), 2000);
  assert.equal(retryDelayMs('0', 3), 0);
  assert.equal(retryDelayMs('120', 0), 5000);
  assert.equal(
    retryDelayMs(null, 0, () => 0),
    50,
  );
  assert.equal(
    retryDelayMs(null, 0, () => 1),
    100,
  );
  assert.equal(
    retryDelayMs(null, 10, () => 1),
    2000,
  );
  assert.equal(
    retryDelayMs('soon', 1, () => 0),
    100,
    'an unparseable Retry-After falls back to the backoff',
  );
});
