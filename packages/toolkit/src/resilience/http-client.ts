/**
 * A resilient HTTP client for one dependency: per-attempt timeout, breaker,
 * bulkhead (outside the breaker: waiting for a slot is our own queueing, never
 * the dependency's failure, and an attempt's timeout starts when it gets its
 * slot), budgeted retries (inside the caller's deadline), one log line and
 * one histogram observation per attempt, and request-id / traceparent
 * forwarding. Writes carry an Idempotency-Key derived by the caller from a
 * business key, so a retry after an unknown outcome cannot act twice.
 */
import { SpanStatusCode } from '@opentelemetry/api';
import { Agent, fetch as undiciFetch } from 'undici';
import { formatTraceparent, SpanKind } from '../observability/index.ts';
import { type EgressAttempt, egressKind } from './attempts.ts';
import { circuitBreaker } from './breaker.ts';
import { type RetryBudget, retryBudget } from './budget.ts';
import { bulkhead } from './bulkhead.ts';
import { systemClock } from './context.ts';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  classifyFailure,
  type FailureCategory,
  HttpStatusError,
  MalformedResponseError,
  parseRetryAfter,
  toNetworkError,
  UnknownOutcomeError,
} from './errors.ts';
import { createEmitter } from './events.ts';
import type { DependencyOptions, HttpResult, RequestOptions } from './http-client-options.ts';
import { pipeline } from './pipeline.ts';
import { retry } from './retry.ts';
import { createSlidingWindow } from './sliding-window.ts';
import { timeout } from './timeout.ts';

export type {
  Criticality,
  DependencyOptions,
  EgressLogger,
  HttpResult,
  RequestOptions,
} from './http-client-options.ts';

export function createDependencyClient(options: DependencyOptions) {
  const { name, log, metrics } = options;
  const clock = options.clock ?? systemClock;
  const serverAddress = new URL(options.baseUrl).host;
  const doFetch = options.fetch ?? undiciFetch;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 1000;
  const dispatcher = new Agent({
    connect: { timeout: options.connectTimeoutMs ?? Math.min(1000, attemptTimeoutMs) },
    // a backstop: the timeout policy decides (it allows one more period after a stall)
    headersTimeout: attemptTimeoutMs * 2 + 100,
    bodyTimeout: attemptTimeoutMs * 2 + 100,
  });
  const budget: RetryBudget = retryBudget({ clock, ...options.budget });
  // attempts by outcome over the last minute, for an operator's dependency view
  const OUTCOMES = ['success', 'transient', 'rate-limited', 'permanent', 'unknown-outcome'] as const;
  const outcomes = createSlidingWindow({ windowMs: 60_000, buckets: 6, series: OUTCOMES.length, clock });
  const isRateLimited = (e: unknown) => e instanceof HttpStatusError && e.status === 429;
  const breaker = circuitBreaker({
    clock,
    ...options.breaker,
    isIgnored: isRateLimited,
    isFailure: (e) => {
      const category = classifyFailure(e, { idempotent: true });
      return category === 'transient' || category === 'unknown-outcome';
    },
  });
  const limiter = bulkhead({ clock, ...(options.bulkhead ?? { maxConcurrent: 100, maxQueue: 0 }) });
  const retries = retry({
    maxAttempts: options.maxAttempts ?? 3,
    baseDelayMs: options.baseDelayMs ?? 25,
    maxDelayMs: options.maxDelayMs ?? 500,
    budget,
    clock,
    random: options.random,
    sleep: options.sleep,
    shouldRetry: (error) => {
      // an open breaker or a full bulkhead will say the same again at once
      if (error instanceof BrokenCircuitError || error instanceof BulkheadRejectedError) return false;
      // unknown outcomes of unkeyed writes arrive as UnknownOutcomeError and are never retried
      const category = classifyFailure(error, { idempotent: true });
      return category === 'transient' || category === 'rate-limited';
    },
  });
  retries.onRetry(() => metrics.retries.inc({ dependency: name }));
  retries.onBudgetExhausted(() => metrics.budgetExhausted.inc({ dependency: name }));
  breaker.onReject(() => metrics.rejections.inc({ dependency: name, reason: 'breaker-open' }));
  limiter.onReject(({ reason }) =>
    metrics.rejections.inc({
      dependency: name,
      reason: reason === 'full' ? 'bulkhead-full' : 'bulkhead-queue-timeout',
    }),
  );
  breaker.onBreak(({ failureRate }) => log.warn({ dependency: name, failureRate }, 'circuit opened'));
  breaker.onClose(() => log.info({ dependency: name }, 'circuit closed'));
  // the bulkhead sits outside the breaker: only attempts that got a slot (and so
  // reached the dependency, or failed connecting to it) are judged by the breaker
  const policy = pipeline(retries, limiter, breaker, timeout({ timeoutMs: attemptTimeoutMs, clock }));
  const STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;
  const attempts = createEmitter<EgressAttempt>();
  const emitAttempt = (value: EgressAttempt) => {
    try {
      attempts.emit(value);
    } catch (error) {
      // a recorder's failure must never fail the call it observes
      log.warn({ dependency: name, err: error }, 'attempt listener failed');
    }
  };

  async function attempt<T>(
    request: RequestOptions,
    signal: AbortSignal,
    attemptNo: number,
  ): Promise<HttpResult<T>> {
    const started = performance.now();
    const startedAt = clock.now();
    let status: number | undefined;
    let outcome: FailureCategory | 'success' = 'success';
    let failure: unknown;
    const tryNo = (request.attempt ?? 1) + attemptNo - 1;
    const span = options.tracer?.startSpan(`${request.method} ${request.route}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': request.method,
        'url.template': request.route,
        'server.address': serverAddress,
        'steadfast.dependency': name,
        'steadfast.attempt': tryNo,
        ...(tryNo > 1 ? { 'http.request.resend_count': tryNo - 1 } : {}),
      },
    });
    try {
      const url = new URL(options.baseUrl + request.path);
      for (const [k, v] of Object.entries(request.query ?? {})) url.searchParams.set(k, v);
      const headers: Record<string, string> = { accept: 'application/json' };
      if (request.body !== undefined) headers['content-type'] = 'application/json';
      if (request.idempotencyKey) headers['idempotency-key'] = request.idempotencyKey;
      if (request.requestId) headers['x-request-id'] = request.requestId;
      if (span) headers.traceparent = formatTraceparent(span);
      else if (request.traceparent) headers.traceparent = request.traceparent;
      let response: Awaited<ReturnType<typeof undiciFetch>>;
      let text: string;
      try {
        response = await doFetch(url, {
          method: request.method,
          headers,
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          signal,
          dispatcher,
        });
        status = response.status;
        text = await response.text();
      } catch (error) {
        throw toNetworkError(signal.aborted ? signal.reason : error);
      }
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        if (response.ok) throw new MalformedResponseError(`${name} answered ${status} with invalid JSON`);
      }
      if (!response.ok) {
        throw new HttpStatusError(response.status, {
          body,
          retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), clock.now()),
          message: `${name} answered ${response.status}`,
        });
      }
      return { status: response.status, body: body as T };
    } catch (error) {
      failure = error;
      outcome = classifyFailure(error, {
        idempotent: request.method === 'GET' || !!request.idempotencyKey,
      });
      if (outcome === 'unknown-outcome' && !(error instanceof UnknownOutcomeError)) {
        throw new UnknownOutcomeError(`${name}: ${(error as Error).message} after the request was sent`, {
          cause: error,
        });
      }
      throw error;
    } finally {
      const durationMs = performance.now() - started;
      if (span) {
        if (status !== undefined) span.setAttribute('http.response.status_code', status);
        span.setAttribute('steadfast.outcome', outcome);
        if (outcome !== 'success') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
        span.end();
      }
      outcomes.add(OUTCOMES.indexOf(outcome));
      metrics.duration.observe({ dependency: name, outcome }, durationMs / 1000);
      if (attempts.size > 0) {
        emitAttempt({
          dependency: name,
          method: request.method,
          route: request.route,
          status,
          durationMs,
          attempt: tryNo,
          outcome,
          kind: egressKind(failure),
          ...(failure === undefined ? {} : { error: (failure as Error)?.message ?? String(failure) }),
          requestId: request.requestId,
          idempotencyKey: request.idempotencyKey,
          at: startedAt,
        });
      }
      log.info(
        {
          dependency: name,
          method: request.method,
          route: request.route,
          status,
          durationMs: Math.round(durationMs * 100) / 100,
          attempt: attemptNo,
          outcome,
        },
        'egress',
      );
    }
  }

  return {
    name,
    criticality: options.criticality,
    async request<T>(request: RequestOptions): Promise<HttpResult<T>> {
      const startedAt = clock.now();
      try {
        return await policy.execute((ctx) => attempt<T>(request, ctx.signal, ctx.attempt), {
          signal: request.signal,
          deadline: request.deadline,
        });
      } catch (error) {
        // a call refused before it reached the dependency is a record of its own
        if (
          (error instanceof BrokenCircuitError || error instanceof BulkheadRejectedError) &&
          attempts.size > 0
        ) {
          emitAttempt({
            dependency: name,
            method: request.method,
            route: request.route,
            status: undefined,
            durationMs: clock.now() - startedAt,
            attempt: request.attempt ?? 1,
            outcome: 'transient',
            kind: 'rejected',
            rejectedBy:
              error instanceof BrokenCircuitError
                ? 'breaker-open'
                : error.reason === 'full'
                  ? 'bulkhead-full'
                  : 'bulkhead-queue-timeout',
            error: error.message,
            requestId: request.requestId,
            idempotencyKey: request.idempotencyKey,
            at: startedAt,
          });
        }
        throw error;
      }
    },
    /** every attempt and every refused call, as it ends (listeners must be cheap: they run on the call's path) */
    onAttempt: attempts.event,
    status() {
      const state = breaker.state();
      metrics.breakerState.set({ dependency: name, criticality: options.criticality }, STATE_VALUE[state]);
      return {
        name,
        criticality: options.criticality,
        breaker: state,
        budgetRemaining: budget.remaining(),
        recentOutcomes: Object.fromEntries(OUTCOMES.map((o, i) => [o, outcomes.sum(i)]).filter(([, n]) => n)),
      };
    },
    breaker,
    close: () => dispatcher.close(),
  };
}

export type DependencyClient = ReturnType<typeof createDependencyClient>;
