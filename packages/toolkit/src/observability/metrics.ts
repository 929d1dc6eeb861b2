/**
 * Prometheus metrics: one registry per app (no global state), the HTTP
 * duration histogram, and `createQueryGauge` — a gauge read from the database
 * when scraped, so it costs nothing per request.
 */
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { BackgroundErrors } from './background-errors.ts';
import { registerOnce } from './register-once.ts';

export interface HttpMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

/** the route label of a request that matched no route: one value, never the raw URL (cardinality) */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The `route` label: Fastify's `/items/:id` in OpenAPI's template form
 * `/items/{id}` (a regexp constraint is left out), so dashboards and the API
 * document name a route the same way; no route → `unmatched`.
 */
export function routeLabel(url: string | undefined): string {
  if (url === undefined) return UNMATCHED_ROUTE;
  return url.includes(':') ? url.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?/g, '{$1}') : url;
}

export function createHttpMetrics(
  options: { registry?: Registry; defaultMetrics?: boolean } = {},
): HttpMetrics {
  const registry = options.registry ?? new Registry();
  // prom-client's standard names (process_cpu_seconds_total, nodejs_eventloop_lag_seconds, …): no prefix,
  // so stock dashboards and alerts work; once per registry (a second call would register them twice)
  if (options.defaultMetrics && !registry.getSingleMetric('process_cpu_seconds_total'))
    collectDefaultMetrics({ register: registry });
  const name = 'steadfast_http_request_duration_seconds';
  const httpDuration = registerOnce(
    registry,
    name,
    () =>
      new Histogram({
        name,
        help: 'HTTP request duration by method, route template (OpenAPI form, "unmatched" for unknown paths) and status',
        labelNames: ['method', 'route', 'status'] as const,
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
  );
  return { registry, httpDuration };
}

export interface QueryGaugeSample {
  labels?: Record<string, string>;
  value: number;
}

export interface QueryGaugeOptions {
  registry: Registry;
  name: string;
  help: string;
  labelNames?: readonly string[];
  /** one cheap query, run on each scrape; its rows are the gauge's samples */
  read: () => Promise<QueryGaugeSample[]>;
  /** a failed read is reported here (component `metrics`) and the gauge shows no samples */
  errors: BackgroundErrors;
}

/**
 * A gauge computed when `/metrics` is scraped (never per request). A failed
 * read never fails the scrape: it is logged and counted, and the gauge is
 * empty for that scrape, so a stale value is never shown.
 */
export function createQueryGauge(options: QueryGaugeOptions): Gauge {
  const { registry, name, read, errors } = options;
  return registerOnce(
    registry,
    name,
    () =>
      new Gauge({
        name,
        help: options.help,
        labelNames: options.labelNames ?? [],
        registers: [registry],
        async collect() {
          let samples: QueryGaugeSample[];
          try {
            samples = await read();
          } catch (error) {
            this.reset();
            errors.report('metrics', error, { metric: name });
            return;
          }
          this.reset();
          for (const sample of samples) {
            if (sample.labels) this.set(sample.labels, sample.value);
            else this.set(sample.value);
          }
        },
      }),
  );
}
