/** Rate-limit counters, registered on the app's registry. */
import { Counter, Gauge, type Registry } from 'prom-client';
import { registerOnce } from '../observability/index.ts';

export interface RateLimitMetrics {
  limited: Counter<'class'>;
  /** refusals held right now (a client ignoring Retry-After is slowed) */
  held: Gauge;
}

export function createRateLimitMetrics(registry: Registry): RateLimitMetrics {
  return {
    limited: registerOnce(
      registry,
      'steadfast_rate_limited_total',
      () =>
        new Counter({
          name: 'steadfast_rate_limited_total',
          help: 'Requests refused with 429 rate-limited, by route class',
          labelNames: ['class'] as const,
          registers: [registry],
        }),
    ),
    held: registerOnce(
      registry,
      'steadfast_rate_limit_held_refusals',
      () =>
        new Gauge({
          name: 'steadfast_rate_limit_held_refusals',
          help: 'Refusals (429) held before they are sent, right now',
          registers: [registry],
        }),
    ),
  };
}
