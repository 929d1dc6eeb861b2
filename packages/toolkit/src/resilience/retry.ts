/**
 * retry({ maxAttempts, baseDelayMs, maxDelayMs, shouldRetry, budget }):
 * full-jitter exponential backoff that honours Retry-After (capped), spends a
 * shared retry budget, and is deadline-aware: it never sleeps past the
 * caller's deadline, nor starts an attempt that could not finish before it.
 */

import { backoffDelayMs } from './backoff.ts';
import type { RetryBudget } from './budget.ts';
import {
  abortableSleep,
  type Clock,
  type ExecContext,
  fullContext,
  type Policy,
  systemClock,
  type Work,
} from './context.ts';
import { HttpStatusError } from './errors.ts';
import { createEmitter } from './events.ts';

export interface RetryOptions {
  /** attempts, the first included */
  maxAttempts: number;
  /** first backoff step's upper bound */
  baseDelayMs?: number;
  /** cap on any backoff step */
  maxDelayMs?: number;
  /** the longest Retry-After we wait for (default: maxDelayMs); a longer one ends the retries */
  maxRetryAfterMs?: number;
  /** an attempt needs at least this long before the deadline to be worth starting */
  minAttemptMs?: number;
  /** is this failure worth another attempt? (attempt: 1 for the first try) */
  shouldRetry: (error: unknown, attempt: number) => boolean;
  /** shared by every call to the dependency; a retry it refuses ends the retries */
  budget?: RetryBudget;
  /** the time source (default: the system clock) */
  clock?: Clock;
  /** [0, 1) for the backoff jitter */
  random?: () => number;
  /** the pause between attempts (default: a timer the signal cancels) */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface RetryEvent {
  attempt: number;
  delayMs: number;
  error: unknown;
}

export function retry(options: RetryOptions) {
  const base = options.baseDelayMs ?? 50;
  const max = options.maxDelayMs ?? 2000;
  const maxRetryAfter = options.maxRetryAfterMs ?? max;
  const minAttempt = options.minAttemptMs ?? 10;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? abortableSleep;
  const onRetry = createEmitter<RetryEvent>();
  const onBudgetExhausted = createEmitter<{ error: unknown }>();
  const onGiveUp = createEmitter<RetryEvent>();

  /** undefined: the partner asked for a longer pause than we accept — do not retry early */
  function delayFor(error: unknown, attempt: number): number | undefined {
    if (error instanceof HttpStatusError && error.retryAfterMs !== undefined) {
      return error.retryAfterMs <= maxRetryAfter ? error.retryAfterMs : undefined;
    }
    return backoffDelayMs(attempt, { baseMs: base, maxMs: max, random });
  }

  const policy: Policy = {
    async execute<T>(work: Work<T>, context?: Partial<ExecContext>): Promise<T> {
      const outer = fullContext(context);
      options.budget?.recordRequest();
      for (let attempt = 1; ; attempt++) {
        try {
          return await work({ signal: outer.signal, deadline: outer.deadline, attempt });
        } catch (error) {
          if (attempt >= options.maxAttempts || outer.signal.aborted || !options.shouldRetry(error, attempt))
            throw error;
          const delayMs = delayFor(error, attempt);
          if (delayMs === undefined) {
            onGiveUp.emit({ attempt, delayMs: Number.POSITIVE_INFINITY, error });
            throw error; // retrying before the partner's Retry-After would only add load
          }
          if (outer.deadline !== undefined && clock.now() + delayMs + minAttempt > outer.deadline) {
            onGiveUp.emit({ attempt, delayMs, error });
            throw error; // no time left for another attempt: the caller sees the real failure
          }
          if (options.budget && !options.budget.tryAcquire()) {
            onBudgetExhausted.emit({ error });
            throw error;
          }
          onRetry.emit({ attempt, delayMs, error });
          if (delayMs > 0) await sleep(delayMs, outer.signal);
        }
      }
    },
  };
  return {
    ...policy,
    onRetry: onRetry.event,
    onBudgetExhausted: onBudgetExhausted.event,
    onGiveUp: onGiveUp.event,
  };
}
