/** Policy validation: a class given no policy at all is named, not a TypeError. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertPolicy, validatePolicies } from './policies.ts';

test('a class without a policy is refused naming the class', () => {
  assert.throws(
    () => validatePolicies({ writes: undefined as never }),
    (error: Error) =>
      error.constructor === Error &&
      error.message === 'rate limit class "writes": limit must be a positive integer, got undefined',
  );
  assert.throws(() => assertPolicy('reads', undefined), /^Error: rate limit class "reads": limit must/);
});

test('a valid policy set is copied, not shared', () => {
  const given = { writes: { limit: 3, windowS: 60 } };
  const copy = validatePolicies(given);
  assert.deepEqual(copy, { writes: { limit: 3, windowS: 60 } });
  given.writes.limit = 99;
  assert.equal(copy.writes.limit, 3);
});
