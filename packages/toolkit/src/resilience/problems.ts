/** How a dependency's failure reaches API clients: a problem naming the dependency, none of its internals. */
import { ProblemError, type ProblemType } from '../problems/index.ts';
import { BrokenCircuitError, BulkheadRejectedError, TimeoutError, UnknownOutcomeError } from './errors.ts';

export const dependencyProblems: ProblemType[] = [
  {
    slug: 'dependency-unavailable',
    status: 503,
    title: 'A dependency is unavailable',
    category: 'dependency',
    retryable: true,
    description:
      'A partner this request needs is failing or overloaded (the problem names it in `dependency`). Nothing was written. Retry after `Retry-After` with the same Idempotency-Key.',
  },
  {
    slug: 'dependency-timeout',
    status: 504,
    title: 'A dependency did not answer in time',
    category: 'dependency',
    retryable: true,
    description:
      'A partner this request needs did not answer within its deadline (named in `dependency`). Nothing was written. Retry after `Retry-After` with the same Idempotency-Key.',
  },
];

export function dependencyProblem(dependency: string, error: unknown, retryAfterS = 1): ProblemError {
  const timedOut =
    error instanceof TimeoutError ||
    (error instanceof UnknownOutcomeError && error.cause instanceof TimeoutError);
  const why =
    error instanceof BrokenCircuitError
      ? 'is failing; calls are paused for a few seconds'
      : error instanceof BulkheadRejectedError
        ? 'is at its concurrency limit'
        : timedOut
          ? 'did not answer in time'
          : 'is unavailable';
  return new ProblemError(timedOut ? 'dependency-timeout' : 'dependency-unavailable', {
    detail: `The ${dependency} service ${why}. Nothing was written; retry shortly.`,
    extensions: { dependency },
    headers: { 'Retry-After': String(retryAfterS) },
    cause: error,
  });
}
