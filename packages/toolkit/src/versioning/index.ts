/** @steadfast/toolkit/versioning: dated API versions — declared version changes, deprecation and sunset fields, per-version OpenAPI documents, usage of old versions. */
export type {
  JsonBody,
  JsonSchema,
  RequestChangeContext,
  ResponseChangeContext,
  VersionChange,
} from './changes.ts';
export { formatHttpDate, formatStructuredDate, isVersionDate } from './dates.ts';
export type { DeprecationHeaders } from './headers.ts';
export { deprecationHeaders } from './headers.ts';
export type { VersioningMetrics } from './metrics.ts';
export { createVersioningMetrics } from './metrics.ts';
export { versioningMigrations } from './migrations.ts';
export type { OpenApiDocument } from './openapi.ts';
export type { ApiVersioningOptions } from './plugin.ts';
export { apiVersioning, renderInVersion } from './plugin.ts';
export { versioningProblems } from './problems.ts';
export type {
  ReadVersionUsageOptions,
  VersionUsage,
  VersionUsageOptions,
  VersionUsageRow,
} from './usage-recorder.ts';
export { createVersionUsage, readVersionUsage } from './usage-recorder.ts';
export type {
  ApiVersions,
  ApiVersionsOptions,
  ChangelogEntry,
  Deprecation,
  DeprecationTimes,
  ResolvedVersion,
} from './versions.ts';
export { defineApiVersions } from './versions.ts';
