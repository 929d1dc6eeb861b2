/** Idempotency counters, registered on the app's registry. */
import { Counter, type Registry } from 'prom-client';
import { registerOnce } from '../observability/index.ts';

export function createIdempotencyMetrics(registry: Registry) {
  return {
    requests: registerOnce(
      registry,
      'steadfast_idempotency_requests_total',
      () =>
        new Counter({
          name: 'steadfast_idempotency_requests_total',
          help: 'Idempotent requests by outcome: executed, replayed, in_flight_conflict, fingerprint_mismatch, taken_over',
          labelNames: ['outcome'] as const,
          registers: [registry],
        }),
    ),
    reaped: registerOnce(
      registry,
      'steadfast_idempotency_reaped_total',
      () =>
        new Counter({
          name: 'steadfast_idempotency_reaped_total',
          help: 'Expired idempotency records deleted by the reaper',
          registers: [registry],
        }),
    ),
  };
}
