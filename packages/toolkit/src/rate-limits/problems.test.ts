/** rateLimitProblems: the one problem type exactly as clients see it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rateLimitProblems } from './problems.ts';

test('rate-limited, field by field', () => {
  assert.deepEqual(rateLimitProblems, [
    {
      slug: 'rate-limited',
      status: 429,
      title: 'Too many requests',
      category: 'rate-limited',
      retryable: true,
      description:
        'This client sent more requests of this class than its quota allows. Nothing was done. Wait the `Retry-After` seconds, then send the request again; pace further requests with the `RateLimit` (`r` units left, `t` seconds until the quota resets) and `RateLimit-Policy` (`q` units per `w` seconds) header fields every limited response carries.',
    },
  ]);
});
