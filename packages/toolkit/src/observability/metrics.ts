/** Prometheus metrics: one registry per app (no global state), HTTP duration histogram. */
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { registerOnce } from './register-once.ts';

export interface HttpMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

export function createHttpMetrics(
  options: { registry?: Registry; defaultMetrics?: boolean } = {},
): HttpMetrics {
  const registry = options.registry ?? new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'steadfast_' });
  const name = 'steadfast_http_request_duration_seconds';
  const httpDuration = registerOnce(
    registry,
    name,
    () =>
      new Histogram({
        name,
        help: 'HTTP request duration by route template and status',
        labelNames: ['method', 'route', 'status'] as const,
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
  );
  return { registry, httpDuration };
}
