/**
 * Load-shedding metrics on the app's registry. The gauges are read when
 * scraped, so they cost nothing per request; several limiters on one registry
 * (two apps in one process) report their sum.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { registerOnce } from '../observability/index.ts';
import type { ConcurrencyLimiter } from './limiter.ts';

type LimitGauge = Gauge & { limiters?: Set<ConcurrencyLimiter> };

export function createLoadSheddingMetrics(registry: Registry, limiter: ConcurrencyLimiter) {
  const existing = registry.getSingleMetric('steadfast_concurrency_limit') as LimitGauge | undefined;
  const limiters = existing?.limiters ?? new Set<ConcurrencyLimiter>();
  const sum = (read: (l: ConcurrencyLimiter) => number) => {
    let total = 0;
    for (const l of limiters) total += read(l);
    return total;
  };
  const limit: LimitGauge = registerOnce(registry, 'steadfast_concurrency_limit', () => {
    const gauge: LimitGauge = new Gauge({
      name: 'steadfast_concurrency_limit',
      help: 'Current concurrency limit of load shedding (requests in flight at once)',
      registers: [registry],
      collect() {
        this.set(sum((l) => l.limit()));
      },
    });
    gauge.limiters = limiters;
    return gauge;
  });
  const inflight = registerOnce(
    registry,
    'steadfast_inflight_requests',
    () =>
      new Gauge({
        name: 'steadfast_inflight_requests',
        help: 'Requests in flight counted against the concurrency limit',
        registers: [registry],
        collect() {
          this.set(sum((l) => l.inflight()));
        },
      }),
  );
  const shed = registerOnce(
    registry,
    'steadfast_shed_requests_total',
    () =>
      new Counter({
        name: 'steadfast_shed_requests_total',
        help: 'Requests refused with 503 overloaded, by criticality',
        labelNames: ['criticality'] as const,
        registers: [registry],
      }),
  );
  limiters.add(limiter);
  return { limit, inflight, shed, remove: () => limiters.delete(limiter) };
}

export type LoadSheddingMetrics = ReturnType<typeof createLoadSheddingMetrics>;
