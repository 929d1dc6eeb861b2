/**
 * What one call to a dependency did, as an event a recorder can keep: every
 * attempt that got a slot (with its status, duration and kind), and every call
 * refused before it reached the dependency (open breaker, full bulkhead).
 * The dependency client emits them (`onAttempt`); lineage and history
 * recorders subscribe. No body and no header value but the outbound key and
 * request id is carried, so nothing a partner said reaches a recorder.
 */
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  type FailureCategory,
  HttpStatusError,
  MalformedResponseError,
  NetworkError,
  TimeoutError,
  UnknownOutcomeError,
} from './errors.ts';

/** What an operator tells apart at a glance: the partner failed, our network did, or we refused. */
export type EgressKind = 'success' | 'timeout' | '5xx' | '429' | '4xx' | 'network' | 'malformed' | 'rejected';
export const EGRESS_KINDS: readonly EgressKind[] = [
  'success',
  'timeout',
  '5xx',
  '429',
  '4xx',
  'network',
  'malformed',
  'rejected',
];

export interface EgressAttempt {
  dependency: string;
  method: string;
  /** the path template (`/items/{id}`) */
  route: string;
  /** the answer's status; undefined when none arrived */
  status: number | undefined;
  durationMs: number;
  /** 1 for the first attempt of a call (plus the caller's own retries, `RequestOptions.attempt`) */
  attempt: number;
  outcome: FailureCategory | 'success';
  kind: EgressKind;
  /** `breaker-open`, `bulkhead-full`, `bulkhead-queue-timeout` for a refused call */
  rejectedBy?: 'breaker-open' | 'bulkhead-full' | 'bulkhead-queue-timeout';
  /** the error's message (ours: names the status or the network code, never a body) */
  error?: string;
  requestId?: string;
  idempotencyKey?: string;
  /** epoch ms at the attempt's start (the client's clock) */
  at: number;
}

/** The kind of a finished attempt: its error, or none for a success. */
export function egressKind(error: unknown): EgressKind {
  if (error === undefined) return 'success';
  const cause = error instanceof UnknownOutcomeError ? (error.cause ?? error) : error;
  if (cause instanceof BrokenCircuitError || cause instanceof BulkheadRejectedError) return 'rejected';
  if (cause instanceof HttpStatusError) {
    if (cause.status === 429) return '429';
    return cause.status >= 500 ? '5xx' : '4xx';
  }
  if (cause instanceof TimeoutError || (cause as Error)?.name === 'TimeoutError') return 'timeout';
  if (cause instanceof NetworkError) return 'network';
  if (cause instanceof MalformedResponseError) return 'malformed';
  return 'network';
}
