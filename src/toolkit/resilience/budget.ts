/**
 * retryBudget({ ratio, minRetriesPerSecond, windowMs }): shared by every call
 * to one dependency. A retry is allowed only while retries in the window stay
 * under ratio × requests + minRetriesPerSecond × window seconds — so a
 * partner's outage cannot be multiplied by our retries (Envoy, Google SRE).
 */
import { type Clock, systemClock } from './context.ts';

export interface RetryBudgetOptions {
  ratio?: number;
  minRetriesPerSecond?: number;
  windowMs?: number;
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

const BUCKETS = 10;

export function retryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  const ratio = options.ratio ?? 0.1;
  const windowMs = options.windowMs ?? 10_000;
  const floor = (options.minRetriesPerSecond ?? 1) * (windowMs / 1000);
  const clock = options.clock ?? systemClock;
  const bucketMs = windowMs / BUCKETS;
  const requests = new Array<number>(BUCKETS).fill(0);
  const retries = new Array<number>(BUCKETS).fill(0);
  let current = Math.floor(clock.now() / bucketMs);

  function rotate() {
    const now = Math.floor(clock.now() / bucketMs);
    if (now === current) return;
    const steps = Math.min(now - current, BUCKETS);
    for (let i = 1; i <= steps; i++) {
      const index = (current + i) % BUCKETS;
      requests[index] = 0;
      retries[index] = 0;
    }
    current = now;
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const remaining = () => {
    rotate();
    return Math.max(0, Math.floor(ratio * sum(requests) + floor - sum(retries)));
  };

  return {
    recordRequest() {
      rotate();
      requests[current % BUCKETS]++;
    },
    tryAcquire() {
      if (remaining() < 1) return false;
      retries[current % BUCKETS]++;
      return true;
    },
    remaining,
  };
}
