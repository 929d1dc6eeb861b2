/** @steadfast/toolkit/rate-limits: per-partition, per-class quotas with the IETF RateLimit header fields, shared by instances through Postgres. */
export type { RateLimitState } from './headers.ts';
export { formatRateLimit, formatRateLimitPolicy, rateLimitHeaders } from './headers.ts';
export type { RateLimitDecision, RateLimiter, RateLimiterOptions } from './limiter.ts';
export { createRateLimiter } from './limiter.ts';
export type { RateLimitMetrics } from './metrics.ts';
export { createRateLimitMetrics } from './metrics.ts';
export { rateLimitMigrations } from './migrations.ts';
export type { RateLimitOverride } from './overrides.ts';
export {
  clearRateLimitOverride,
  listRateLimitOverrides,
  loadRateLimitOverrides,
  setRateLimitOverride,
} from './overrides.ts';
export type { RateLimitsPluginOptions, RequestRateLimit } from './plugin.ts';
export { rateLimits } from './plugin.ts';
export type { RateLimitPolicies, RateLimitPolicy } from './policies.ts';
export { validatePolicies } from './policies.ts';
export type { PostgresRateLimitStore, PostgresRateLimitStoreOptions } from './postgres-store.ts';
export { createPostgresRateLimitStore } from './postgres-store.ts';
export { rateLimitProblems } from './problems.ts';
export type {
  CellSnapshot,
  CellSyncResult,
  RateLimitStore,
  RateLimitStoreClient,
  SyncResult,
} from './store.ts';
