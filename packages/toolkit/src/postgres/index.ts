/** steadfast/postgres: pool, transactions, migrations and the embedded cluster. */
export type { EmbeddedCluster, EmbeddedClusterOptions } from './embedded.ts';
export { checkReachableByPostgres, freePort, readPostmasterPid, startEmbeddedCluster } from './embedded.ts';
export { isDatabaseUnavailable } from './errors.ts';
export type { Migration } from './migrate.ts';
export { isMigrated, MigrationError, migrate, readMigrations } from './migrate.ts';
export type { Pool, PoolClient, PoolOptions, Queryable } from './pool.ts';
export { createPool } from './pool.ts';
export { withTransaction } from './tx.ts';
