/**
 * circuitBreaker({ failureRateThreshold, minimumRequests, windowMs, openMs, halfOpenProbes }):
 * opens when the failure rate over a sliding window passes the threshold
 * (with enough requests), rejects at once while open, lets a few probes
 * through after openMs (half-open), and closes when they succeed. Which
 * errors count is the caller's choice: a 429 is back-pressure, not a failure.
 */
import { type Clock, type ExecContext, fullContext, type Policy, systemClock, type Work } from './context.ts';
import { BrokenCircuitError } from './errors.ts';
import { createEmitter } from './events.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failureRateThreshold?: number;
  minimumRequests?: number;
  windowMs?: number;
  openMs?: number;
  halfOpenProbes?: number;
  /** does this error count as a failure of the dependency? (default: every error) */
  isFailure?: (error: unknown) => boolean;
  /** errors that count neither way (e.g. 429) */
  isIgnored?: (error: unknown) => boolean;
  clock?: Clock;
}

const BUCKETS = 10;

export function circuitBreaker(options: BreakerOptions = {}) {
  const threshold = options.failureRateThreshold ?? 0.5;
  const minimum = options.minimumRequests ?? 10;
  const windowMs = options.windowMs ?? 10_000;
  const openMs = options.openMs ?? 5000;
  const probes = options.halfOpenProbes ?? 1;
  const clock = options.clock ?? systemClock;
  const isFailure = options.isFailure ?? (() => true);
  const isIgnored = options.isIgnored ?? (() => false);
  const bucketMs = windowMs / BUCKETS;
  const calls = new Array<number>(BUCKETS).fill(0);
  const failures = new Array<number>(BUCKETS).fill(0);
  let bucket = Math.floor(clock.now() / bucketMs);
  let state: BreakerState = 'closed';
  let openedAt = 0;
  let probesInFlight = 0;
  const onBreak = createEmitter<{ failureRate: number }>();
  const onHalfOpen = createEmitter<void>();
  const onClose = createEmitter<void>();
  const onReject = createEmitter<void>();

  function rotate() {
    const now = Math.floor(clock.now() / bucketMs);
    if (now === bucket) return;
    for (let i = 1; i <= Math.min(now - bucket, BUCKETS); i++) {
      calls[(bucket + i) % BUCKETS] = 0;
      failures[(bucket + i) % BUCKETS] = 0;
    }
    bucket = now;
  }
  function resetWindow() {
    calls.fill(0);
    failures.fill(0);
  }
  function open(rate: number) {
    state = 'open';
    openedAt = clock.now();
    onBreak.emit({ failureRate: rate });
  }
  function record(failed: boolean, probe: boolean) {
    if (probe) {
      probesInFlight--;
      if (failed) return open(1);
      if (state === 'half-open' && probesInFlight === 0) {
        state = 'closed';
        resetWindow();
        onClose.emit();
      }
      return;
    }
    rotate();
    calls[bucket % BUCKETS]++;
    if (failed) failures[bucket % BUCKETS]++;
    if (state !== 'closed' || !failed) return;
    const total = calls.reduce((a, b) => a + b, 0);
    if (total < minimum) return;
    const rate = failures.reduce((a, b) => a + b, 0) / total;
    if (rate >= threshold) open(rate);
  }

  const policy: Policy = {
    async execute<T>(work: Work<T>, context?: Partial<ExecContext>): Promise<T> {
      let probe = false;
      if (state === 'open') {
        if (clock.now() - openedAt < openMs) {
          onReject.emit();
          throw new BrokenCircuitError('circuit open');
        }
        state = 'half-open';
        onHalfOpen.emit();
      }
      if (state === 'half-open') {
        if (probesInFlight >= probes) {
          onReject.emit();
          throw new BrokenCircuitError('circuit half-open: probe in flight');
        }
        probesInFlight++;
        probe = true;
      }
      try {
        const result = await work(fullContext(context));
        record(false, probe);
        return result;
      } catch (error) {
        if (isIgnored(error)) {
          if (probe) probesInFlight--;
        } else {
          record(isFailure(error), probe);
        }
        throw error;
      }
    },
  };
  return {
    ...policy,
    state: (): BreakerState => (state === 'open' && clock.now() - openedAt >= openMs ? 'half-open' : state),
    onBreak: onBreak.event,
    onHalfOpen: onHalfOpen.event,
    onClose: onClose.event,
    onReject: onReject.event,
  };
}
