/** The timeout's allowance for a stall of our own process: one more period, never past the caller's deadline. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stallExtensionMs } from './timeout.ts';

test('a timer that fired on time, or a little late, expires the attempt now', () => {
  assert.equal(stallExtensionMs(300, 0, undefined, 0), 0);
  assert.equal(stallExtensionMs(300, 299, undefined, 0), 0);
  assert.equal(stallExtensionMs(20, 49, undefined, 0), 0, 'stalls under 50 ms are ordinary jitter');
});

test('a stall longer than the period gives one more period, capped by the deadline', () => {
  assert.equal(stallExtensionMs(300, 1600, undefined, 0), 300);
  assert.equal(stallExtensionMs(300, 1600, 10_100, 10_000), 100, 'only what is left of the deadline');
  assert.equal(stallExtensionMs(300, 1600, 10_000, 10_000), 0, 'the deadline has passed: expire now');
  assert.equal(stallExtensionMs(300, 1600, 9_000, 10_000), 0);
});
