/** Rate-limit counters, registered on the app's registry. */
import { Counter, type Registry } from 'prom-client';
import { registerOnce } from '../observability/index.ts';

export interface RateLimitMetrics {
  limited: Counter<'class'>;
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
  };
}
