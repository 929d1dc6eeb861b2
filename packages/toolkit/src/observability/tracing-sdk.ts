/**
 * Switching tracing on: the OpenTelemetry SDK (a tracer provider, a batch
 * span processor, the OTLP/HTTP exporter) and the AsyncLocalStorage context
 * manager, loaded with dynamic imports so a process with tracing off never
 * loads them. `@opentelemetry/sdk-trace`, `@opentelemetry/resources` and
 * `@opentelemetry/exporter-trace-otlp-http` are optional peer dependencies:
 * install them where tracing is used. An app that sets up its own SDK skips
 * this and passes its tracer (`trace.getTracer(...)`) to the blocks.
 */
import { context, type Tracer, trace } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { createAsyncContextManager } from './context-manager.ts';

export type TraceSampler =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

export const TRACE_SAMPLERS: readonly TraceSampler[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

/**
 * A span exporter: structurally `SpanExporter` of `@opentelemetry/sdk-trace`,
 * named here so the toolkit's types need none of the optional packages.
 */
export interface TraceExporter {
  export(spans: unknown[], resultCallback: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

export interface TracingOptions {
  /** `service.name` of every span */
  serviceName: string;
  /** the full OTLP/HTTP traces URL, path included (ignored when `exporter` is given) */
  url?: string;
  /** sent with every export (e.g. an API key of the tracing backend) */
  headers?: Record<string, string>;
  /** default `parentbased_always_on` (the OpenTelemetry default) */
  sampler?: TraceSampler;
  /** the ratio of the `traceidratio` samplers, in [0, 1] (default 1) */
  samplerRatio?: number;
  /** more resource attributes (e.g. `deployment.environment.name`) */
  resourceAttributes?: Record<string, string>;
  /** another exporter (tests pass an InMemorySpanExporter) */
  exporter?: TraceExporter;
  /** export each span at once instead of in batches (tests) */
  simple?: boolean;
  /** how long an export may take (default 10 000 ms) */
  exportTimeoutMs?: number;
}

export interface Tracing {
  /** the tracer to hand to the blocks (`tracer:` options) */
  tracer: Tracer;
  /** export what is buffered */
  flush(): Promise<void>;
  /** flush, stop exporting and unregister the global provider and context manager */
  shutdown(): Promise<void>;
}

export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const sdk = await import('@opentelemetry/sdk-trace');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  const exporter: SpanExporter =
    (options.exporter as SpanExporter | undefined) ??
    new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter({
      url: options.url,
      headers: options.headers,
      timeoutMillis: options.exportTimeoutMs ?? 10_000,
    });
  const ratio = options.samplerRatio ?? 1;
  const samplers = {
    always_on: () => new sdk.AlwaysOnSampler(),
    always_off: () => new sdk.AlwaysOffSampler(),
    traceidratio: () => new sdk.TraceIdRatioBasedSampler(ratio),
    parentbased_always_on: () => new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() }),
    parentbased_always_off: () => new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() }),
    parentbased_traceidratio: () =>
      new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(ratio) }),
  } satisfies Record<TraceSampler, () => unknown>;
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ ...options.resourceAttributes, 'service.name': options.serviceName }),
    sampler: samplers[options.sampler ?? 'parentbased_always_on'](),
    spanProcessors: [
      options.simple ? new sdk.SimpleSpanProcessor({ exporter }) : new sdk.BatchSpanProcessor({ exporter }),
    ],
  });
  const manager = createAsyncContextManager().enable();
  context.setGlobalContextManager(manager);
  trace.setGlobalTracerProvider(provider);
  return {
    tracer: provider.getTracer('@steadfast/toolkit'),
    flush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
    },
  };
}
