/**
 * Failure classes and the one place that classifies a failure:
 * - transient: timeouts, resets, 502/503/504 — retry;
 * - rate-limited: 429 — wait for Retry-After; counts against the retry budget, never against the breaker;
 * - permanent: 400/401/403/404/409/422, malformed bodies — never retry;
 * - unknown-outcome: a timeout or reset after a non-idempotent request was sent — retry only with an idempotency key.
 */

export type FailureCategory = 'transient' | 'rate-limited' | 'permanent' | 'unknown-outcome';

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}
export class BrokenCircuitError extends Error {
  override name = 'BrokenCircuitError';
}
/**
 * Our own capacity, not the dependency's: the bulkhead was full, or the call
 * waited in its queue until the caller's deadline. The call never reached
 * the dependency, so it says nothing about the dependency's health.
 */
export class BulkheadRejectedError extends Error {
  override name = 'BulkheadRejectedError';
  /** `full`: no slot and no room in the queue; `queue-timeout`: the deadline passed while queued */
  readonly reason: 'full' | 'queue-timeout';
  constructor(message: string, reason: 'full' | 'queue-timeout' = 'full') {
    super(message);
    this.reason = reason;
  }
}

/** A partner answered with a status that is not a success. */
export class HttpStatusError extends Error {
  override name = 'HttpStatusError';
  readonly status: number;
  readonly retryAfterMs: number | undefined;
  readonly body: unknown;
  constructor(status: number, options: { retryAfterMs?: number; body?: unknown; message?: string } = {}) {
    super(options.message ?? `HTTP ${status}`);
    this.status = status;
    this.retryAfterMs = options.retryAfterMs;
    this.body = options.body;
  }
}

/** The partner answered 2xx with a body we cannot use. */
export class MalformedResponseError extends Error {
  override name = 'MalformedResponseError';
}

/** A network failure (reset, refused, socket closed) while talking to a partner. */
export class NetworkError extends Error {
  override name = 'NetworkError';
  /** true when the request may have reached the partner (it was fully sent) */
  readonly maybeDelivered: boolean;
  constructor(message: string, maybeDelivered: boolean, cause?: unknown) {
    super(message, { cause });
    this.maybeDelivered = maybeDelivered;
  }
}

/** A timeout or reset after a non-idempotent request was sent: it may or may not have acted. */
export class UnknownOutcomeError extends Error {
  override name = 'UnknownOutcomeError';
}

export interface ClassifyOptions {
  /** the request is safe to repeat (GET, or a write carrying an idempotency key) */
  idempotent: boolean;
}

export function classifyFailure(error: unknown, options: ClassifyOptions): FailureCategory {
  if (error instanceof UnknownOutcomeError) return 'unknown-outcome';
  if (error instanceof HttpStatusError) {
    if (error.status === 429) return 'rate-limited';
    if (error.status === 502 || error.status === 503 || error.status === 504 || error.status === 500)
      return 'transient';
    return 'permanent';
  }
  if (error instanceof MalformedResponseError) return 'permanent';
  if (error instanceof BrokenCircuitError || error instanceof BulkheadRejectedError) return 'transient';
  if (error instanceof TimeoutError || error instanceof NetworkError) {
    const sent = error instanceof TimeoutError || error.maybeDelivered;
    return sent && !options.idempotent ? 'unknown-outcome' : 'transient';
  }
  return 'permanent';
}

/** Parse Retry-After (delay-seconds or an HTTP date) into milliseconds from `nowMs`. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // every HTTP-date form starts with a day name; Date.parse alone would read "1.5" or "-1" as 2001
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

const NOT_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN']);

/** A fetch failure as our own error: undici's timeouts as TimeoutError, the rest as NetworkError (sent or not). */
export function toNetworkError(error: unknown): unknown {
  if (error instanceof TimeoutError || (error as Error)?.name === 'TimeoutError') return error;
  // the caller's own abort (a DOMException, whose legacy numeric `code` is 20) is not a network failure
  if ((error as Error)?.name === 'AbortError') return error;
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return new TimeoutError(`${code}`);
  if (error instanceof TypeError || code) {
    return new NetworkError(
      `${code ?? 'network error'}: ${cause?.message ?? (error as Error).message}`,
      !NOT_SENT.has(code ?? ''),
      error,
    );
  }
  return error;
}
