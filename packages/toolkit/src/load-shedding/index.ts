/** @steadfast/toolkit/load-shedding: an adaptive concurrency limit at the door, shedding less critical requests first. */
export type {
  AdaptiveConcurrencyLimitOptions,
  AdmissionShares,
  ConcurrencyLimiter,
  Criticality,
  FixedConcurrencyLimitOptions,
} from './limiter.ts';
export { CRITICALITIES, createAdaptiveConcurrencyLimit, createFixedConcurrencyLimit } from './limiter.ts';
export type { LoadSheddingMetrics } from './metrics.ts';
export { createLoadSheddingMetrics } from './metrics.ts';
export type { LoadSheddingOptions } from './plugin.ts';
export { loadShedding } from './plugin.ts';
export { loadSheddingProblems, overloaded } from './problems.ts';
