/** @steadfast/toolkit/egress-history: per-minute aggregates of dependency calls, written once per interval per instance and read summed across instances. */
export { bucketPercentile, LATENCY_BOUNDS_MS, LATENCY_BUCKETS } from './buckets.ts';
export type { EgressErrorRecord, EgressHistory, EgressHistoryOptions, EgressSource } from './history.ts';
export { createEgressHistory } from './history.ts';
export { egressHistoryMigrations } from './migrations.ts';
export type {
  EgressCounts,
  EgressDependencyHistory,
  EgressHistoryReadOptions,
  EgressHistoryView,
  EgressInstanceState,
  EgressMinute,
} from './read.ts';
export { readEgressHistory, reapEgressHistory } from './read.ts';
