/**
 * Concurrency limiters: how many requests may run at once, and which class of
 * request is admitted as in-flight work approaches that limit.
 *
 * `createAdaptiveConcurrencyLimit` is a gradient limiter in the spirit of
 * Netflix's Gradient2: per window of samples it compares a long-term
 * (baseline) latency with the window's average and moves the limit by
 * `gradient = clamp(tolerance × baseline / recent, 0.5, 1)`:
 * `next = limit × gradient + queueSize(limit)`, smoothed. Latency at or below
 * tolerance × baseline lets the limit grow by about √limit per window (only
 * while the server uses at least half of it); queueing delay shrinks it
 * toward the point where no queue builds. The baseline is a slow moving
 * average, so a lasting change of latency (a slower database) becomes the new
 * normal instead of shedding forever.
 */
import { type Clock, systemClock } from '../ids/index.ts';

/** `exempt` is never counted nor shed (health, metrics); the others are shed in this order: sheddable, normal, critical. */
export type Criticality = 'critical' | 'normal' | 'sheddable' | 'exempt';

export const CRITICALITIES: readonly Criticality[] = ['critical', 'normal', 'sheddable', 'exempt'];

/** Fractions of the limit up to which a class is admitted (critical: the whole limit). */
export interface AdmissionShares {
  /** default 0.9 */
  normal?: number;
  /** default 0.5 */
  sheddable?: number;
}

export interface ConcurrencyLimiter {
  /** the current limit (whole requests) */
  limit(): number;
  /** admitted requests not yet released */
  inflight(): number;
  /** would a request of this class be admitted now? (counts nothing) */
  admits(criticality: Criticality): boolean;
  /** admit and count a request in flight, or refuse it; `exempt` is always admitted and not counted */
  tryAcquire(criticality: Criticality): boolean;
  /**
   * the end of one acquired request; `latencyMs` is its sample, omitted when the
   * request must not teach the limiter anything (aborted by the client)
   */
  release(latencyMs?: number): void;
}

export interface FixedConcurrencyLimitOptions {
  fixedLimit: number;
  shares?: AdmissionShares;
}

export interface AdaptiveConcurrencyLimitOptions {
  /** default 20 */
  initialLimit?: number;
  /** default 4 */
  minLimit?: number;
  /** default 1000 */
  maxLimit?: number;
  /** only differences of `now()` are used; default the system clock */
  clock?: Clock;
  /** recent latency up to tolerance × baseline counts as no queueing (default 1.5) */
  tolerance?: number;
  /** weight of each new estimate (default 0.2) */
  smoothing?: number;
  /** the baseline is a moving average over about this many windows (default 100) */
  baselineWindows?: number;
  /** a window closes after at least this long … (default 100 ms) */
  windowMs?: number;
  /** … and at least this many samples (default 10) */
  minWindowSamples?: number;
  /** headroom added to each estimate (default √limit) */
  queueSize?: (limit: number) => number;
  shares?: AdmissionShares;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function fraction(name: string, value: number, min: number, max: number): number {
  if (!(typeof value === 'number' && value > min && value <= max))
    throw new RangeError(`${name} must be in (${min}, ${max}], got ${value}`);
  return value;
}

function admissionCounter(shares: AdmissionShares | undefined) {
  const normal = fraction('shares.normal', shares?.normal ?? 0.9, 0, 1);
  const sheddable = fraction('shares.sheddable', shares?.sheddable ?? 0.5, 0, normal);
  let inflight = 0;
  const ceiling = (criticality: Criticality, limit: number) =>
    criticality === 'critical' ? limit : Math.floor(limit * (criticality === 'normal' ? normal : sheddable));
  return {
    inflight: () => inflight,
    admits: (criticality: Criticality, limit: number) =>
      criticality === 'exempt' || inflight < ceiling(criticality, limit),
    acquire: () => {
      inflight++;
    },
    release: () => {
      if (inflight > 0) inflight--;
    },
  };
}

/** A static cap: no adaptation (tests, and operators who want a known ceiling). */
export function createFixedConcurrencyLimit(options: FixedConcurrencyLimitOptions): ConcurrencyLimiter {
  const limit = positiveInteger('fixedLimit', options.fixedLimit);
  const counter = admissionCounter(options.shares);
  return {
    limit: () => limit,
    inflight: counter.inflight,
    admits: (criticality) => counter.admits(criticality, limit),
    tryAcquire: (criticality) => {
      if (criticality === 'exempt') return true;
      if (!counter.admits(criticality, limit)) return false;
      counter.acquire();
      return true;
    },
    release: () => counter.release(),
  };
}

export function createAdaptiveConcurrencyLimit(
  options: AdaptiveConcurrencyLimitOptions = {},
): ConcurrencyLimiter {
  const minLimit = positiveInteger('minLimit', options.minLimit ?? 4);
  const maxLimit = positiveInteger('maxLimit', options.maxLimit ?? 1000);
  const initialLimit = positiveInteger('initialLimit', options.initialLimit ?? 20);
  if (!(minLimit <= initialLimit && initialLimit <= maxLimit))
    throw new RangeError(
      `minLimit ≤ initialLimit ≤ maxLimit is required, got ${minLimit}, ${initialLimit}, ${maxLimit}`,
    );
  const clock = options.clock ?? systemClock;
  const tolerance = options.tolerance ?? 1.5;
  if (!(tolerance >= 1)) throw new RangeError(`tolerance must be ≥ 1, got ${tolerance}`);
  const smoothing = fraction('smoothing', options.smoothing ?? 0.2, 0, 1);
  const baselineWindows = positiveInteger('baselineWindows', options.baselineWindows ?? 100);
  const windowMs = options.windowMs ?? 100;
  if (!(windowMs >= 0)) throw new RangeError(`windowMs must be ≥ 0, got ${windowMs}`);
  const minWindowSamples = positiveInteger('minWindowSamples', options.minWindowSamples ?? 10);
  const queueSize = options.queueSize ?? Math.sqrt;
  const counter = admissionCounter(options.shares);

  let estimate = initialLimit;
  let current = initialLimit;
  let baselineMs: number | undefined;
  let windowStartMs = clock.now();
  let windowSumMs = 0;
  let windowSamples = 0;
  let windowMaxInflight = 0;

  const endWindow = () => {
    const recentMs = windowSumMs / windowSamples;
    const busy = windowMaxInflight >= estimate / 2;
    windowSumMs = 0;
    windowSamples = 0;
    windowMaxInflight = counter.inflight();
    windowStartMs = clock.now();
    if (baselineMs === undefined) {
      baselineMs = recentMs;
      return;
    }
    // the baseline follows slowly (a lasting change becomes the new normal), and quickly when latency fell a lot
    baselineMs += (recentMs - baselineMs) / baselineWindows;
    if (baselineMs > 2 * recentMs) baselineMs *= 0.95;
    const gradient = recentMs <= 0 ? 1 : Math.max(0.5, Math.min(1, (tolerance * baselineMs) / recentMs));
    let next = estimate * gradient + queueSize(estimate);
    next = estimate * (1 - smoothing) + next * smoothing;
    // an app-limited server (using less than half its limit) learns nothing about its capacity:
    // neither growth nor shrinking (slow answers at low concurrency are the work's, not queueing —
    // shrinking on them drove the limit to its floor under moderate load; Gradient2 does the same)
    if (!busy) return;
    estimate = Math.max(minLimit, Math.min(maxLimit, next));
    current = Math.floor(estimate);
  };

  return {
    limit: () => current,
    inflight: counter.inflight,
    admits: (criticality) => counter.admits(criticality, current),
    tryAcquire: (criticality) => {
      if (criticality === 'exempt') return true;
      if (!counter.admits(criticality, current)) return false;
      counter.acquire();
      if (counter.inflight() > windowMaxInflight) windowMaxInflight = counter.inflight();
      return true;
    },
    release: (latencyMs) => {
      counter.release();
      if (latencyMs === undefined || !(latencyMs >= 0)) return;
      windowSumMs += latencyMs;
      windowSamples++;
      if (windowSamples >= minWindowSamples && clock.now() - windowStartMs >= windowMs) endWindow();
    },
  };
}
