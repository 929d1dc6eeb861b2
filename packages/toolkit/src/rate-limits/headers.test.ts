/** The RateLimit header fields' sf-string: a class name with only a quote is escaped too. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRateLimit, formatRateLimitPolicy } from './headers.ts';

test('a name with a double quote and no backslash is escaped', () => {
  assert.equal(formatRateLimitPolicy({ className: 'a"b', limit: 5, windowS: 2 }), '"a\\"b";q=5;w=2');
  assert.equal(formatRateLimit({ className: '"', remaining: 3, resetS: 1 }), '"\\"";r=3;t=1');
});

test('a plain token is quoted as it is', () => {
  assert.equal(
    formatRateLimit({ className: 'reads.v2_x-y', remaining: 0, resetS: 9 }),
    '"reads.v2_x-y";r=0;t=9',
  );
});
