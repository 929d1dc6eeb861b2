/** The rate-limits block's tables. Apply with `migrate(pool, [...rateLimitMigrations])`. */
import { defineMigrations } from '../postgres/index.ts';

export const rateLimitMigrations = defineMigrations('rate-limits', [
  {
    name: '0001_rate_limits',
    sql: `
-- Counts shared by the instances of a service: one row per (partition, class,
-- window, instance), written by that instance's sync every interval.
-- count = units it admitted; reserved = units it may still admit before its
-- next sync (its claim). UNLOGGED: a crash forgets at most a window of counts.
CREATE UNLOGGED TABLE rate_limit_counts (
  partition text NOT NULL,
  class text NOT NULL,
  window_start_ms bigint NOT NULL,
  instance text NOT NULL,
  count integer NOT NULL,
  reserved integer NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (partition, class, window_start_ms, instance)
);

-- Instances that synced recently: a share of the remainder is 1 / (how many).
CREATE UNLOGGED TABLE rate_limit_instances (
  instance text PRIMARY KEY,
  seen_at timestamptz NOT NULL
);

-- Per-partition quotas that replace the configured policy of a class.
CREATE TABLE rate_limit_overrides (
  partition text NOT NULL,
  class text NOT NULL,
  "limit" integer NOT NULL CHECK ("limit" > 0),
  window_s integer NOT NULL CHECK (window_s > 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (partition, class)
);
`,
  },
]);
