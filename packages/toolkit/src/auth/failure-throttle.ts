/**
 * Failed authentications per client address, in fixed windows: an address
 * with `maxFailures` failures in the current window is throttled until the
 * window ends, so guessing keys costs no database round trip per request.
 * In memory, per process, bounded by `maxAddresses` (the oldest address goes first).
 */
import type { Clock } from '../ids/index.ts';

export interface AuthFailureThrottleOptions {
  maxFailures: number;
  windowS: number;
  clock: Clock;
  /** addresses remembered at most (default 10000) */
  maxAddresses?: number;
}

export interface AuthFailureThrottle {
  /** seconds until the address may try again; undefined when it is not throttled */
  retryAfterS(address: string): number | undefined;
  recordFailure(address: string): void;
}

export function createAuthFailureThrottle(options: AuthFailureThrottleOptions): AuthFailureThrottle {
  const { maxFailures, windowS, clock } = options;
  if (!Number.isInteger(maxFailures) || maxFailures < 1) throw new Error('maxFailures is a whole number ≥ 1');
  if (!Number.isFinite(windowS) || windowS <= 0) throw new Error('windowS is a number > 0');
  const maxAddresses = options.maxAddresses ?? 10_000;
  const windowMs = windowS * 1000;
  const windows = new Map<string, { startedAt: number; failures: number }>();

  const current = (address: string) => {
    const entry = windows.get(address);
    if (entry && clock.now() - entry.startedAt < windowMs) return entry;
    if (entry) windows.delete(address);
    return undefined;
  };

  return {
    retryAfterS(address) {
      const entry = current(address);
      if (!entry || entry.failures < maxFailures) return undefined;
      return Math.max(1, Math.ceil((entry.startedAt + windowMs - clock.now()) / 1000));
    },
    recordFailure(address) {
      const entry = current(address);
      if (entry) {
        entry.failures++;
        return;
      }
      if (windows.size >= maxAddresses) windows.delete(windows.keys().next().value as string);
      windows.set(address, { startedAt: clock.now(), failures: 1 });
    },
  };
}
