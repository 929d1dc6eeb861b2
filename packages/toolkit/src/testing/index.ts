/** steadfast/testing: real Postgres per test file, fake clock, log capture, OpenAPI contract checks. */
export type { ContractChecker, ContractResponse } from './contract.ts';
export { createContractChecker } from './contract.ts';
export type { TestDatabase } from './database.ts';
export { adminUrl, createTestDatabase } from './database.ts';
export { eventually } from './eventually.ts';
export type { FakeClock } from './fake-clock.ts';
export { createFakeClock } from './fake-clock.ts';
export type { LogCapture } from './log-capture.ts';
export { createLogCapture } from './log-capture.ts';
