/**
 * Attempt durations kept as counts in fixed latency buckets, so instances can
 * add theirs up and a percentile still comes out. Bucket i holds durations in
 * (LATENCY_BOUNDS_MS[i-1], LATENCY_BOUNDS_MS[i]] ms (the first from 0); the
 * last bucket holds everything above 10 000 ms.
 *
 * A percentile is read the way Prometheus' `histogram_quantile` reads one:
 * find the bucket holding the q-th rank, then interpolate linearly inside it
 * (lower + (upper − lower) × (rank − count below) / count in bucket). A rank
 * in the overflow bucket reads as its lower bound, 10 000 ms.
 */

/** upper bounds of the finite buckets, ms; changing them changes the stored arrays' meaning */
export const LATENCY_BOUNDS_MS: readonly number[] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];

/** how many counts a latency array holds: the finite buckets plus the overflow */
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;

export function latencyBucket(durationMs: number): number {
  for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) if (durationMs <= LATENCY_BOUNDS_MS[i]) return i;
  return LATENCY_BOUNDS_MS.length;
}

/** the q-quantile (0 < q ≤ 1) of the durations counted in `buckets`; null when there are none */
export function bucketPercentile(buckets: readonly number[], q: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < buckets.length; i++) {
    const count = buckets[i];
    if (count > 0 && below + count >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1];
      if (i >= LATENCY_BOUNDS_MS.length) return lower;
      return lower + ((LATENCY_BOUNDS_MS[i] - lower) * (rank - below)) / count;
    }
    below += count;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
}
