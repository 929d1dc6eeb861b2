/** The dependency client's options, what one request takes, and what it answers (http-client.ts). */
import type { fetch as undiciFetch } from 'undici';
import type { Tracer } from '../observability/index.ts';
import type { BreakerOptions } from './breaker.ts';
import type { RetryBudgetOptions } from './budget.ts';
import type { Clock } from './context.ts';
import type { EgressMetrics } from './metrics.ts';

export type Criticality = 'critical' | 'degradable' | 'non-critical' | 'deferred';

/** The two logger calls the client makes: a pino logger or a Fastify app's `log` fits. */
export interface EgressLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface DependencyOptions {
  /** the dependency's name in logs, metrics, status() and problems */
  name: string;
  /** prefix of every request's path, e.g. `https://pricing.example/api` */
  baseUrl: string;
  /** how much the callers need it; reported by status() and the breaker-state gauge */
  criticality: Criticality;
  /** the timeout of each attempt (undici's headers and body timeouts too) */
  attemptTimeoutMs?: number;
  /** how long to wait for a connection */
  connectTimeoutMs?: number;
  /** attempts per request, the first included */
  maxAttempts?: number;
  /** first backoff step's upper bound */
  baseDelayMs?: number;
  /** cap on a backoff step, and the longest Retry-After that is waited for */
  maxDelayMs?: number;
  /** breaker tuning; isFailure and isIgnored are the client's own (transient failures count, 429 is ignored) */
  breaker?: BreakerOptions;
  /** concurrent calls and waiting calls allowed */
  bulkhead?: { maxConcurrent: number; maxQueue?: number };
  /** the retry budget shared by every call through this client */
  budget?: RetryBudgetOptions;
  /** the time source of deadlines, breaker, budget and Retry-After dates (default: the system clock) */
  clock?: Clock;
  /** [0, 1) for the backoff jitter */
  random?: () => number;
  /** the pause between attempts (tests pass one that advances a fake clock) */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** one `egress` line per attempt; `circuit opened` / `circuit closed` */
  log: EgressLogger;
  /** from createEgressMetrics(registry), shared by every client */
  metrics: EgressMetrics;
  /** the fetch to call (default: undici's) */
  fetch?: typeof undiciFetch;
  /** tracing on: one CLIENT span per attempt (a child of the active span), sent as the attempt's traceparent */
  tracer?: Tracer;
}

export interface RequestOptions {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** appended to baseUrl */
  path: string;
  /** the path template, for logs and metrics (`/items/{id}`) */
  route: string;
  /** search parameters */
  query?: Record<string, string>;
  /** sent as JSON */
  body?: unknown;
  /** derived from a business key, never random: it makes a write safe to retry */
  idempotencyKey?: string;
  /** the caller's cancellation */
  signal?: AbortSignal;
  /** absolute time (clock ms) by which the caller needs the answer, all attempts included */
  deadline?: number;
  /** forwarded as X-Request-Id */
  requestId?: string;
  /** forwarded as traceparent (tracing on: the attempt's own span is sent instead) */
  traceparent?: string;
  /**
   * when the caller retries the call itself (an adapter's own loop), this
   * call's number: the attempt span's `steadfast.attempt` is it plus the
   * client's own retries
   */
  attempt?: number;
}

export interface HttpResult<T> {
  status: number;
  body: T;
}
