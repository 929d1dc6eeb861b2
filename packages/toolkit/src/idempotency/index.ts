/** @steadfast/toolkit/idempotency: Idempotency-Key for Fastify routes on Postgres. */
export { createIdempotencyEngine } from './engine.ts';
export type {
  CoalesceOptions,
  EngineOptions,
  HandlerResult,
  IdempotencyContext,
  IdempotencyEngine,
  InsertOnceSpec,
  RunOptions,
} from './engine-types.ts';
export { IDEMPOTENCY_FAULT_POINTS } from './engine-types.ts';
export { canonicalJson, requestFingerprint } from './fingerprint.ts';
export { parseIdempotencyKey } from './key-header.ts';
export { createIdempotencyMetrics } from './metrics.ts';
export { idempotencyMigrations } from './migrations.ts';
export type { IdempotencyPluginOptions } from './plugin.ts';
export { IDEMPOTENCY_KEY_HEADER, idempotency } from './plugin.ts';
export { idempotencyProblems } from './problems.ts';
export { startKeyReaper } from './reaper.ts';
export type { KeyScope, StoredResponse } from './store.ts';
export { reapExpiredKeys } from './store.ts';
export type { RowEffect } from './store-batch.ts';
