/**
 * Counters over a sliding time window, kept in a ring of buckets: adding and
 * summing cost a few array operations, no allocation. Used by the retry budget
 * and the circuit breaker.
 */
import type { Clock } from './context.ts';

export interface SlidingWindow {
  add(series: number, amount?: number): void;
  sum(series: number): number;
  clear(): void;
}

export function createSlidingWindow(options: {
  windowMs: number;
  series: number;
  buckets?: number;
  clock: Clock;
}): SlidingWindow {
  const buckets = options.buckets ?? 10;
  const bucketMs = options.windowMs / buckets;
  const counts = Array.from({ length: options.series }, () => new Array<number>(buckets).fill(0));
  let current = Math.floor(options.clock.now() / bucketMs);

  function rotate() {
    const now = Math.floor(options.clock.now() / bucketMs);
    if (now <= current) return;
    for (let i = 1; i <= Math.min(now - current, buckets); i++) {
      for (const series of counts) series[(current + i) % buckets] = 0;
    }
    current = now;
  }

  return {
    add(series, amount = 1) {
      rotate();
      counts[series][current % buckets] += amount;
    },
    sum(series) {
      rotate();
      let total = 0;
      for (const n of counts[series]) total += n;
      return total;
    },
    clear() {
      for (const series of counts) series.fill(0);
    },
  };
}
