/** Versioning counters, registered on the app's registry. */
import { Counter, type Registry } from 'prom-client';
import { registerOnce } from '../observability/index.ts';

export interface VersioningMetrics {
  requests: Counter<'version' | 'deprecated'>;
}

export function createVersioningMetrics(registry: Registry): VersioningMetrics {
  return {
    requests: registerOnce(
      registry,
      'steadfast_api_version_requests_total',
      () =>
        new Counter({
          name: 'steadfast_api_version_requests_total',
          help: 'Requests by the API version that answered them; deprecated="true" when the version or the endpoint is deprecated',
          labelNames: ['version', 'deprecated'] as const,
          registers: [registry],
        }),
    ),
  };
}
