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
    batches: {
      statements: registerOnce(
        registry,
        'steadfast_idempotency_batches_total',
        () =>
          new Counter({
            name: 'steadfast_idempotency_batches_total',
            help: 'Coalesced insertOnce statements sent (group commit), by statement; rows ÷ batches is the mean batch size',
            labelNames: ['statement'] as const,
            registers: [registry],
          }),
      ),
      rows: registerOnce(
        registry,
        'steadfast_idempotency_batched_rows_total',
        () =>
          new Counter({
            name: 'steadfast_idempotency_batched_rows_total',
            help: 'Requests written through coalesced insertOnce statements, by statement',
            labelNames: ['statement'] as const,
            registers: [registry],
          }),
      ),
    },
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
