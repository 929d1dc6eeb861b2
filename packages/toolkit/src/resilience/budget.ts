/**
 * retryBudget({ ratio, minRetriesPerSecond, windowMs }): shared by every call
 * to one dependency. A retry is allowed only while retries in the window stay
 * under ratio × requests + minRetriesPerSecond × window seconds — so a
 * partner's outage cannot be multiplied by our retries (Envoy, Google SRE).
 */
import { type Clock, systemClock } from './context.ts';
import { createSlidingWindow } from './sliding-window.ts';

export interface RetryBudgetOptions {
  /** retries allowed per request in the window */
  ratio?: number;
  /** retries allowed whatever the traffic */
  minRetriesPerSecond?: number;
  /** length of the sliding window */
  windowMs?: number;
  /** the time source (default: the system clock) */
  clock?: Clock;
}

export interface RetryBudget {
  /** count a first attempt */
  recordRequest(): void;
  /** take one retry from the budget; false when exhausted */
  tryAcquire(): boolean;
  /** retries still allowed right now */
  remaining(): number;
}

const REQUESTS = 0;
const RETRIES = 1;

export function retryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  const ratio = options.ratio ?? 0.1;
  const windowMs = options.windowMs ?? 10_000;
  const floor = (options.minRetriesPerSecond ?? 1) * (windowMs / 1000);
  const window = createSlidingWindow({ windowMs, series: 2, clock: options.clock ?? systemClock });
  const remaining = () => Math.max(0, Math.floor(ratio * window.sum(REQUESTS) + floor - window.sum(RETRIES)));
  return {
    recordRequest: () => window.add(REQUESTS),
    tryAcquire() {
      if (remaining() < 1) return false;
      window.add(RETRIES);
      return true;
    },
    remaining,
  };
}
