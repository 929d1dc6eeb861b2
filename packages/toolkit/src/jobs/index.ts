/** @steadfast/toolkit/jobs: durable tasks on graphile-worker with our retry policy, dead letters and heartbeats. */

export type { BatchDispatcher, BatchDispatcherOptions, DispatchItem } from './batch-dispatcher.ts';
export { createBatchDispatcher } from './batch-dispatcher.ts';
export type { DeadLetter } from './dead-letters.ts';
export { closeDeadLetter, findDeadLetter, insertDeadLetter, listDeadLetters } from './dead-letters.ts';
export type { EnqueueOptions } from './enqueue.ts';
export { CRASH_RERUNS, enqueueJob } from './enqueue.ts';
export type { JobMetrics } from './metrics.ts';
export { createDeadLetterMetrics, createJobMetrics } from './metrics.ts';
export { jobsMigrations } from './migrations.ts';
export type { JobRunner, JobRunnerOptions } from './runner.ts';
export { createJobRunner, migrateJobs } from './runner.ts';
export type { TaskContext, TaskDefinition } from './task.ts';
export { PermanentJobError } from './task.ts';
