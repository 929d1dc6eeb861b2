/** @steadfast/toolkit/load-shedding: an adaptive concurrency limit in front of Fastify, shedding less critical requests first. */

export type { GateOptions, RouteInfo, SummaryLog } from './gate.ts';
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
export { loadSheddingProblems, overloaded } from './problems.ts';
export type { LoadShedding, LoadSheddingOptions, RawHandler, ServerFactoryOptions } from './server.ts';
export { createLoadShedding } from './server.ts';
