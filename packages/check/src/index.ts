/**
 * @steadfast/check: test any HTTP API with an OpenAPI document for the promises
 * Steadfast keeps (contract, problem format, auth, idempotency, concurrency,
 * sequences, long-running operations, rate limits, load, dependency faults),
 * and webhook receivers; and compares two OpenAPI documents for breaking changes (diffOpenApi).
 * Talks to the target over HTTP only; no database, no server dependencies.
 */

export type { Exchange } from './client.ts';
export { runCheck } from './command.ts';
export type { CheckContext, CheckResult, CheckStatus } from './context.ts';
export type { ApiChange, ApiDiff } from './diff/index.ts';
export { diffOpenApi, formatChanges, runDiffCommand } from './diff/index.ts';
export type { FaultCheckOptions, FaultProxySpec } from './fault-proxy/index.ts';
export { parseFaultProxyFlag, runFaultChecks } from './fault-proxy/index.ts';
export type {
  OpenApiResponse,
  OpenApiValidator,
  OpenApiViolation,
  OpenApiViolationKind,
} from './openapi-validator.ts';
export { createOpenApiValidator, formatViolation } from './openapi-validator.ts';
export type { Report } from './report.ts';
export { skippedByReason, summarize, toJson, toJunit, toTerminal } from './report.ts';
export { toHtml } from './report-html.ts';
export type { CheckOptions, Group } from './run.ts';
export { GROUPS, runChecks } from './run.ts';
export type { Operation, Schema } from './spec.ts';
export { listOperations, loadSpec, readSpec, resolveSpec, SpecError } from './spec.ts';
export type { WebhookCheckOptions } from './webhooks/checks.ts';
export { runWebhookChecks } from './webhooks/checks.ts';
export { runWebhooksCommand } from './webhooks/command.ts';
