/** Counts by label over the last minute (six 10-second buckets). */
import type { Clock } from './context.ts';

export function createRollingCounts(clock: Clock, windowMs = 60_000, buckets = 6) {
  const size = windowMs / buckets;
  const counts: Map<string, number>[] = Array.from({ length: buckets }, () => new Map());
  let current = Math.floor(clock.now() / size);
  const rotate = () => {
    const now = Math.floor(clock.now() / size);
    for (let i = 1; i <= Math.min(now - current, buckets); i++) counts[(current + i) % buckets].clear();
    current = Math.max(current, now);
  };
  return {
    add(label: string) {
      rotate();
      const bucket = counts[current % buckets];
      bucket.set(label, (bucket.get(label) ?? 0) + 1);
    },
    snapshot(): Record<string, number> {
      rotate();
      const total: Record<string, number> = {};
      for (const bucket of counts) for (const [k, v] of bucket) total[k] = (total[k] ?? 0) + v;
      return total;
    },
  };
}
