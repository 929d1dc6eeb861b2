/** @steadfast/toolkit/observability: request ids, trace context, logs and metrics. */

export type { BackgroundErrors, BackgroundErrorsOptions } from './background-errors.ts';
export { createBackgroundErrors } from './background-errors.ts';
export { createAsyncContextManager } from './context-manager.ts';
export type { HealthOptions } from './health.ts';
export { registerHealthRoutes } from './health.ts';
export type { LogDestinationOptions, Logger, LoggerOptions } from './logger.ts';
export { createLogDestination, createLogger, REDACTED_PATHS } from './logger.ts';
export type { HttpMetrics, QueryGaugeOptions, QueryGaugeSample } from './metrics.ts';
export { createHttpMetrics, createQueryGauge, routeLabel, UNMATCHED_ROUTE } from './metrics.ts';
export type { ObservabilityOptions } from './plugin.ts';
export { observability, requestTraceparent } from './plugin.ts';
export { registerOnce } from './register-once.ts';
export type { TraceContext } from './request-id.ts';
export { createRequestIdGenerator, parseTraceparent } from './request-id.ts';
export type { Attributes, Span, SpanOptions, Tracer } from './tracing.ts';
export {
  activeTraceparent,
  formatTraceparent,
  inSpan,
  parentContext,
  recordSpanError,
  SpanKind,
  traceLogFields,
} from './tracing.ts';
export type { TraceExporter, TraceSampler, Tracing, TracingOptions } from './tracing-sdk.ts';
export { startTracing, TRACE_SAMPLERS } from './tracing-sdk.ts';
