/** The OpenTelemetry part of the configuration: the standard OTEL_* variables (docs/tracing.md). */
import { TRACE_SAMPLERS, type TraceSampler } from '@steadfast/toolkit/observability';
import { ConfigError, type Env, integer, keyValues, onOff, url } from './config-values.ts';

export interface TracingConfig {
  /** the full traces URL (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces) */
  url: string;
  /** OTEL_EXPORTER_OTLP_HEADERS then OTEL_EXPORTER_OTLP_TRACES_HEADERS (secrets: masked by config check) */
  headers: Record<string, string>;
  serviceName: string;
  sampler: TraceSampler;
  samplerRatio: number;
  resourceAttributes: Record<string, string>;
  exportTimeoutMs: number;
}

/** The standard OTEL_* variables Steadfast honours (docs/tracing.md); tracing is off unless an exporter is set. */
export function tracingConfig(env: Env): TracingConfig | undefined {
  if (onOff(env, 'OTEL_SDK_DISABLED', false)) return undefined;
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporter && exporter !== 'otlp' && exporter !== 'none')
    throw new ConfigError('OTEL_TRACES_EXPORTER', `must be otlp or none, got ${JSON.stringify(exporter)}`);
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (exporter === 'none' || (!exporter && !traces && !base)) return undefined;
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const protocol = env[name]?.trim();
    if (protocol && protocol !== 'http/json' && protocol !== 'http/protobuf')
      throw new ConfigError(name, `must be http/json or http/protobuf (OTLP over HTTP), got ${protocol}`);
  }
  const endpoint = traces
    ? url(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', '')
    : `${url(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', 'http://localhost:4318')}/v1/traces`;
  const sampler = (env.OTEL_TRACES_SAMPLER?.trim() || 'parentbased_always_on') as TraceSampler;
  if (!TRACE_SAMPLERS.includes(sampler))
    throw new ConfigError('OTEL_TRACES_SAMPLER', `must be one of ${TRACE_SAMPLERS.join(', ')}`);
  const ratioRaw = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  const samplerRatio = ratioRaw ? Number(ratioRaw) : 1;
  if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(ratioRaw ?? '1'))
    throw new ConfigError(
      'OTEL_TRACES_SAMPLER_ARG',
      `must be a ratio from 0 to 1, got ${JSON.stringify(ratioRaw)}`,
    );
  const resourceAttributes = keyValues(env, 'OTEL_RESOURCE_ATTRIBUTES');
  return {
    url: endpoint,
    headers: {
      ...keyValues(env, 'OTEL_EXPORTER_OTLP_HEADERS'),
      ...keyValues(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
    },
    serviceName: env.OTEL_SERVICE_NAME?.trim() || resourceAttributes['service.name'] || 'steadfast-orders',
    sampler,
    samplerRatio,
    resourceAttributes,
    exportTimeoutMs: integer(
      env,
      env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT
        ? 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT'
        : 'OTEL_EXPORTER_OTLP_TIMEOUT',
      10_000,
      1,
      600_000,
    ),
  };
}
