/** dependencyProblem: which problem each failure becomes, its detail, header and extension — written out. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  HttpStatusError,
  NetworkError,
  TimeoutError,
  UnknownOutcomeError,
} from './errors.ts';
import { dependencyProblem, dependencyProblems } from './problems.ts';

describe('dependencyProblem', () => {
  const table: [string, unknown, string, string][] = [
    [
      'an open breaker',
      new BrokenCircuitError('open'),
      'dependency-unavailable',
      'The pricing service is failing; calls are paused for a few seconds. Nothing was written; retry shortly.',
    ],
    [
      'a full bulkhead',
      new BulkheadRejectedError('full'),
      'dependency-unavailable',
      'The pricing service is at its concurrency limit. Nothing was written; retry shortly.',
    ],
    [
      'a timeout',
      new TimeoutError('slow'),
      'dependency-timeout',
      'The pricing service did not answer in time. Nothing was written; retry shortly.',
    ],
    [
      'an unknown outcome caused by a timeout',
      new UnknownOutcomeError('maybe', { cause: new TimeoutError('slow') }),
      'dependency-timeout',
      'The pricing service did not answer in time. Nothing was written; retry shortly.',
    ],
    [
      'an unknown outcome caused by a reset',
      new UnknownOutcomeError('maybe', { cause: new NetworkError('ECONNRESET', true) }),
      'dependency-unavailable',
      'The pricing service is unavailable. Nothing was written; retry shortly.',
    ],
    [
      'a 503',
      new HttpStatusError(503),
      'dependency-unavailable',
      'The pricing service is unavailable. Nothing was written; retry shortly.',
    ],
  ];
  for (const [what, error, slug, detail] of table) {
    test(`${what} → ${slug}`, () => {
      const problem = dependencyProblem('pricing', error);
      assert.equal(problem.slug, slug);
      assert.equal(problem.detail, detail);
      assert.deepEqual(problem.extensions, { dependency: 'pricing' });
      assert.deepEqual(problem.headers, { 'Retry-After': '1' });
      assert.equal(problem.cause, error);
    });
  }

  test('Retry-After in seconds as given', () => {
    assert.deepEqual(dependencyProblem('pricing', new TimeoutError('x'), 7).headers, { 'Retry-After': '7' });
  });

  test('the two problem types', () => {
    assert.deepEqual(
      dependencyProblems.map(({ slug, status, title, category, retryable }) => ({
        slug,
        status,
        title,
        category,
        retryable,
      })),
      [
        {
          slug: 'dependency-unavailable',
          status: 503,
          title: 'A dependency is unavailable',
          category: 'dependency',
          retryable: true,
        },
        {
          slug: 'dependency-timeout',
          status: 504,
          title: 'A dependency did not answer in time',
          category: 'dependency',
          retryable: true,
        },
      ],
    );
    for (const type of dependencyProblems) assert.match(type.description ?? '', /Retry after `Retry-After`/);
  });
});
