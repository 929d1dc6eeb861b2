/** The problem type of load shedding (add it to your registry). */
import { ProblemError, type ProblemType } from '../problems/index.ts';

export const loadSheddingProblems: ProblemType[] = [
  {
    slug: 'overloaded',
    status: 503,
    title: 'The service is overloaded',
    category: 'rate-limited',
    retryable: true,
    description:
      'The service is at its concurrency limit and refused the request before doing anything (less critical requests are refused first). Nothing was done. Slow down: retry after `Retry-After` seconds with jittered backoff, with the same Idempotency-Key for writes.',
  },
];

export function overloaded(retryAfterS: number): ProblemError {
  return new ProblemError('overloaded', {
    detail: `The service is at its concurrency limit; nothing was done. Retry after ${retryAfterS} s.`,
    headers: { 'Retry-After': String(retryAfterS) },
  });
}
