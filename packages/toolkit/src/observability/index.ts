/** @steadfast/toolkit/observability: request ids, trace context, logs and metrics. */

export type { BackgroundErrors, BackgroundErrorsOptions } from './background-errors.ts';
export { createBackgroundErrors } from './background-errors.ts';
export type { HealthOptions } from './health.ts';
export { registerHealthRoutes } from './health.ts';
export type { Logger, LoggerOptions } from './logger.ts';
export { createLogger, REDACTED_PATHS } from './logger.ts';
export type { HttpMetrics } from './metrics.ts';
export { createHttpMetrics } from './metrics.ts';
export type { ObservabilityOptions } from './plugin.ts';
export { observability } from './plugin.ts';
export { registerOnce } from './register-once.ts';
export type { TraceContext } from './request-id.ts';
export { createRequestIdGenerator, parseTraceparent } from './request-id.ts';
