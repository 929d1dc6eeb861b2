/** The versioning block's table. Apply with `migrate(pool, [...versioningMigrations])`. */
import { defineMigrations } from '../postgres/index.ts';

export const versioningMigrations = defineMigrations('versioning', [
  {
    name: '0001_api_version_usage',
    sql: `
-- Who still calls which API version: one row per (partition, version), e.g.
-- (tenant, 2026-06-01), added to by each instance's usage recorder once per flush.
CREATE TABLE api_version_usage (
  partition text NOT NULL,
  version text NOT NULL,
  requests bigint NOT NULL CHECK (requests >= 0),
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  PRIMARY KEY (partition, version)
);
`,
  },
]);
