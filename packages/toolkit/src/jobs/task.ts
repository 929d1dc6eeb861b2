/** What a durable task is: a name, a retry policy, and an idempotent `run`. */
import type { PoolClient } from '../postgres/index.ts';

export interface TaskContext {
  /** 1 for the first run of this logical job */
  attempt: number;
  signal: AbortSignal;
  jobId: string;
}

export interface TaskDefinition<P extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  /** default: the runner's `defaultMaxAttempts` (8) */
  maxAttempts?: number;
  /** default: the runner's `defaultMaxDelayMs` (60 000) */
  maxDelayMs?: number;
  /** first backoff step (full jitter): default 1000 ms */
  baseDelayMs?: number;
  /** at-least-once: run must be safe to repeat */
  run(payload: P, context: TaskContext): Promise<void>;
  /** in the transaction that records the dead letter */
  onDeadLetter?(payload: P, error: unknown, client: PoolClient): Promise<void>;
}

/** Thrown by a task when retrying cannot help: the job goes straight to the dead letters. */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}

/** Job payload fields the runner owns. */
export interface JobMeta {
  __attempt?: number;
  __key?: string;
  __firstFailedAt?: string;
  /** the span that enqueued it: the run's span is its child */
  __traceparent?: string;
}

export function userPayload<P>(payload: P & JobMeta): P {
  const { __attempt: _a, __key: _k, __firstFailedAt: _f, __traceparent: _t, ...rest } = payload;
  return rest as P;
}
