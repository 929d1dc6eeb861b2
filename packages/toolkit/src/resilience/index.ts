/** @steadfast/toolkit/resilience: policies, classification, a resilient HTTP client, and dependency problems. */
export type { EgressAttempt, EgressKind } from './attempts.ts';
export { EGRESS_KINDS, egressKind } from './attempts.ts';
export type { BackoffOptions } from './backoff.ts';
export { backoffDelayMs } from './backoff.ts';
export type { BatchItem, BatchLoader, BatchLoaderOptions, BatchResult } from './batch-loader.ts';
export { batchLoader } from './batch-loader.ts';
export type { BreakerOptions, BreakerState } from './breaker.ts';
export { circuitBreaker } from './breaker.ts';
export type { RetryBudget, RetryBudgetOptions } from './budget.ts';
export { retryBudget } from './budget.ts';
export type { BulkheadOptions } from './bulkhead.ts';
export { bulkhead } from './bulkhead.ts';
export type { Clock, ExecContext, Policy, Work } from './context.ts';
export type { FailureCategory } from './errors.ts';
export {
  BrokenCircuitError,
  BulkheadRejectedError,
  classifyFailure,
  HttpStatusError,
  MalformedResponseError,
  NetworkError,
  parseRetryAfter,
  TimeoutError,
  UnknownOutcomeError,
} from './errors.ts';
export type { Disposable, Event } from './events.ts';
export { fallback } from './fallback.ts';
export type {
  Criticality,
  DependencyClient,
  DependencyOptions,
  EgressLogger,
  HttpResult,
  RequestOptions,
} from './http-client.ts';
export { createDependencyClient } from './http-client.ts';
export type { EgressMetrics } from './metrics.ts';
export { createEgressMetrics } from './metrics.ts';
export type { AltOf } from './pipeline.ts';
export { pipeline } from './pipeline.ts';
export { dependencyProblem, dependencyProblems } from './problems.ts';
export type { RetryEvent, RetryOptions } from './retry.ts';
export { retry } from './retry.ts';
export type { Cached, KeyedPolicy, StaleIfError, StaleIfErrorOptions } from './stale-if-error.ts';
export { staleIfError } from './stale-if-error.ts';
export type { TimeoutOptions } from './timeout.ts';
export { timeout } from './timeout.ts';
