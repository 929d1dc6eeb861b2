/** @steadfast/toolkit/lineage: request lineage — what each request and each outbound attempt did, recorded in batches, bounded, searchable. */
export { lineageMigrations } from './migrations.ts';
export type { LineagePluginOptions } from './plugin.ts';
export { addLineageRefs, lineagePlugin, openApiRoute } from './plugin.ts';
export type {
  LineageAttemptRow,
  LineageQuery,
  LineageRequestRow,
  LineageResult,
} from './query.ts';
export { findLineage, reapLineage } from './query.ts';
export type {
  AttemptSource,
  IdempotencyOutcome,
  LineageRecorder,
  LineageRecorderOptions,
  LineageRequest,
} from './recorder.ts';
export { createLineageRecorder } from './recorder.ts';
