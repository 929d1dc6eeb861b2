/**
 * Full-jitter exponential backoff, the one formula every retry in the toolkit
 * uses (in-call retries, durable job retries, outbox and inbox redelivery): a
 * random delay in [0, min(maxMs, baseMs × 2^(attempt−1))). Spreading retries
 * over the whole window keeps clients that failed together from retrying together.
 */

export interface BackoffOptions {
  /** first step's upper bound */
  baseMs: number;
  /** cap on any step's upper bound */
  maxMs: number;
  /** [0, 1); injected so tests are deterministic */
  random?: () => number;
}

/** Delay before retry number `attempt` (1 = the retry after the first failure). */
export function backoffDelayMs(attempt: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  return Math.floor(random() * Math.min(options.maxMs, options.baseMs * 2 ** (attempt - 1)));
}
