/** Egress metrics of every dependency, on the app's registry (or a registry of their own). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerOnce } from '../observability/index.ts';

export function createEgressMetrics(registry: Registry = new Registry()) {
  return {
    duration: registerOnce(
      registry,
      'steadfast_egress_duration_seconds',
      () =>
        new Histogram({
          name: 'steadfast_egress_duration_seconds',
          help: 'Duration of each attempt to call a dependency, by outcome category',
          labelNames: ['dependency', 'outcome'] as const,
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers: [registry],
        }),
    ),
    retries: registerOnce(
      registry,
      'steadfast_egress_retries_total',
      () =>
        new Counter({
          name: 'steadfast_egress_retries_total',
          help: 'Retries of calls to a dependency',
          labelNames: ['dependency'] as const,
          registers: [registry],
        }),
    ),
    budgetExhausted: registerOnce(
      registry,
      'steadfast_egress_retry_budget_exhausted_total',
      () =>
        new Counter({
          name: 'steadfast_egress_retry_budget_exhausted_total',
          help: 'Retries refused because the dependency’s retry budget was spent',
          labelNames: ['dependency'] as const,
          registers: [registry],
        }),
    ),
    rejections: registerOnce(
      registry,
      'steadfast_egress_rejections_total',
      () =>
        new Counter({
          name: 'steadfast_egress_rejections_total',
          help: 'Calls refused without reaching the dependency (open breaker, full bulkhead)',
          labelNames: ['dependency', 'reason'] as const,
          registers: [registry],
        }),
    ),
    staleServed: registerOnce(
      registry,
      'steadfast_egress_stale_served_total',
      () =>
        new Counter({
          name: 'steadfast_egress_stale_served_total',
          help: 'Answers served from a stale cache entry because the dependency failed',
          labelNames: ['dependency'] as const,
          registers: [registry],
        }),
    ),
    breakerState: registerOnce(
      registry,
      'steadfast_breaker_state',
      () =>
        new Gauge({
          name: 'steadfast_breaker_state',
          help: 'Circuit breaker state per dependency: 0 closed, 1 half-open, 2 open',
          labelNames: ['dependency', 'criticality'] as const,
          registers: [registry],
        }),
    ),
  };
}

export type EgressMetrics = ReturnType<typeof createEgressMetrics>;
