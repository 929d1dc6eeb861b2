/** The egress-history block's tables. Apply with `migrate(pool, [...egressHistoryMigrations])`. */
import { defineMigrations } from '../postgres/index.ts';

export const egressHistoryMigrations = defineMigrations('egress-history', [
  {
    name: '0001_egress_history',
    sql: `
-- Per-minute aggregates of the calls each instance made to each dependency:
-- one row per (minute, instance, dependency), rewritten with the minute's
-- running totals by that instance's flush (so a retried flush never counts twice).
-- counts: attempts by kind, in the order success, timeout, 5xx, 429, 4xx,
-- network, malformed, rejected. latency_buckets: attempts (not refused calls)
-- by duration, upper bounds 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
-- 10000 ms and one overflow bucket.
CREATE TABLE egress_minutes (
  minute timestamptz NOT NULL,
  instance_id text NOT NULL,
  dependency text NOT NULL,
  counts integer[] NOT NULL,
  stale integer NOT NULL DEFAULT 0,
  latency_buckets integer[] NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (minute, instance_id, dependency)
);

-- What each instance last saw of each dependency: breaker, retry budget and
-- its most recent errors, sampled at every flush.
CREATE TABLE egress_instances (
  instance_id text NOT NULL,
  dependency text NOT NULL,
  breaker text NOT NULL,
  budget_remaining double precision NOT NULL,
  last_errors jsonb NOT NULL DEFAULT '[]',
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (instance_id, dependency)
);
CREATE INDEX egress_instances_updated_at ON egress_instances (updated_at);
`,
  },
]);
