/** @steadfast/toolkit/operations: async operation resources, 202 answers and Prefer: wait. */
export type { OperationAnswerOptions } from './http.ts';
export {
  MAX_WAIT_S,
  OperationSchema,
  operationResult,
  preferredWaitS,
  publicOperation,
  sendOperation,
} from './http.ts';
export type { OperationMetrics } from './metrics.ts';
export { createOperationMetrics, STUCK_AFTER_DEFAULT_MS } from './metrics.ts';
export { operationsMigrations } from './migrations.ts';
export type { Operation, OperationStatus } from './store.ts';
export {
  createOperation,
  findOperation,
  listOperations,
  NOTIFY_CHANNEL,
  reapOperations,
  TERMINAL,
  updateOperation,
} from './store.ts';
export type { OperationWaiter } from './waiter.ts';
export { createOperationWaiter } from './waiter.ts';
