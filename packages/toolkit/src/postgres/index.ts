/** @steadfast/toolkit/postgres: pool, transactions, group commit (createCoalescer), namespaced migrations, batched clean-up and a LISTEN that stays up. */

export type { BatchedDelete, PeriodicCleanup } from './cleanup.ts';
export { deleteInBatches, startPeriodicCleanup } from './cleanup.ts';
export type { BatchingOptions, Coalescer, CoalescerOptions } from './coalescer.ts';
export { createCoalescer } from './coalescer.ts';
export { assertDirectConnection, DirectConnectionError, directPool } from './direct.ts';
export type { DatabaseErrorKind } from './errors.ts';
export { databaseErrorKind, isDatabaseUnavailable } from './errors.ts';
export type { JsonRowColumn } from './json-rows.ts';
export { isSqlIdentifier, isSqlType, jsonRowsParam, jsonRowsSource } from './json-rows.ts';
export type { NotificationListener, NotificationListenerOptions } from './listener.ts';
export { createNotificationListener } from './listener.ts';
export type { MigrateOptions, Migration, MigrationSource } from './migrate.ts';
export {
  assertMigrated,
  assertMigratedIfReachable,
  defineMigrations,
  isMigrated,
  MigrationError,
  migrate,
  pendingMigrations,
  readMigrations,
  schemaCheckHook,
} from './migrate.ts';
export type { OneAtATime } from './one-at-a-time.ts';
export { oneAtATime } from './one-at-a-time.ts';
export type { Pool, PoolClient, PoolOptions, Queryable } from './pool.ts';
export { createPool, endPool, POOL_TIMEOUT_DEFAULTS, UNBOUNDED_STATEMENT } from './pool.ts';
export type { TenantScope } from './tenant-scope.ts';
export { ALL_TENANTS, tenantParam } from './tenant-scope.ts';
export { withTransaction } from './tx.ts';
