/**
 * circuitBreaker({ failureRateThreshold, minimumRequests, windowMs, openMs, halfOpenProbes }):
 * opens when the failure rate over a sliding window passes the threshold
 * (with enough requests), rejects at once while open, lets a few probes
 * through after openMs (half-open), and closes when they succeed. Which
 * errors count is the caller's choice: a 429 is back-pressure, not a failure.
 * A BulkheadRejectedError (our own queue was full or too slow) never counts:
 * that call did not reach the dependency; nor does a call whose caller
 * aborted. A probe that counts neither way frees its slot, and the last probe
 * out closes the breaker if one succeeded.
 */
import { type Clock, type ExecContext, fullContext, type Policy, systemClock, type Work } from './context.ts';
import { BrokenCircuitError, BulkheadRejectedError } from './errors.ts';
import { createEmitter } from './events.ts';
import { createSlidingWindow } from './sliding-window.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** failures ÷ calls in the window at which it opens */
  failureRateThreshold?: number;
  /** calls in the window before the rate is judged */
  minimumRequests?: number;
  /** length of the sliding window */
  windowMs?: number;
  /** how long it stays open before letting probes through */
  openMs?: number;
  /** probes allowed at once while half-open */
  halfOpenProbes?: number;
  /** does this error count as a failure of the dependency? (default: every error) */
  isFailure?: (error: unknown) => boolean;
  /** errors that count neither way (e.g. 429) */
  isIgnored?: (error: unknown) => boolean;
  /** the time source (default: the system clock) */
  clock?: Clock;
}

const CALLS = 0;
const FAILURES = 1;

export function circuitBreaker(options: BreakerOptions = {}) {
  const threshold = options.failureRateThreshold ?? 0.5;
  const minimum = options.minimumRequests ?? 10;
  const windowMs = options.windowMs ?? 10_000;
  const openMs = options.openMs ?? 5000;
  const probes = options.halfOpenProbes ?? 1;
  const clock = options.clock ?? systemClock;
  const isFailure = options.isFailure ?? (() => true);
  const isIgnored = options.isIgnored ?? (() => false);
  const window = createSlidingWindow({ windowMs, series: 2, clock });
  let state: BreakerState = 'closed';
  let openedAt = 0;
  let probesInFlight = 0;
  /** probes that succeeded since the breaker went half-open */
  let probeSuccesses = 0;
  const onBreak = createEmitter<{ failureRate: number }>();
  const onHalfOpen = createEmitter<void>();
  const onClose = createEmitter<void>();
  const onReject = createEmitter<void>();

  function open(rate: number) {
    state = 'open';
    openedAt = clock.now();
    onBreak.emit({ failureRate: rate });
  }
  /** the last probe out closes it when at least one probe succeeded and none failed */
  function closeIfHealthy() {
    if (state !== 'half-open' || probesInFlight > 0 || probeSuccesses === 0) return;
    state = 'closed';
    window.clear();
    onClose.emit();
  }
  /** a probe that says nothing about health (429, our own rejection, a caller who left) frees its slot */
  function release(probe: boolean) {
    if (!probe) return;
    probesInFlight--;
    closeIfHealthy();
  }
  function record(failed: boolean, probe: boolean) {
    if (probe) {
      probesInFlight--;
      if (failed) return open(1);
      if (state === 'half-open') probeSuccesses++;
      return closeIfHealthy();
    }
    window.add(CALLS);
    if (failed) window.add(FAILURES);
    if (state !== 'closed' || !failed) return;
    const total = window.sum(CALLS);
    if (total < minimum) return;
    const rate = window.sum(FAILURES) / total;
    if (rate >= threshold) open(rate);
  }

  const policy: Policy = {
    async execute<T>(work: Work<T>, context?: Partial<ExecContext>): Promise<T> {
      const ctx = fullContext(context);
      let probe = false;
      if (state === 'open') {
        if (clock.now() - openedAt < openMs) {
          onReject.emit();
          throw new BrokenCircuitError('circuit open');
        }
        state = 'half-open';
        probeSuccesses = 0;
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
        const result = await work(ctx);
        record(false, probe);
        return result;
      } catch (error) {
        // a caller who gave up says nothing about the dependency: its abort counts neither way
        if (error instanceof BulkheadRejectedError || ctx.signal.aborted || isIgnored(error)) release(probe);
        else record(isFailure(error), probe);
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
