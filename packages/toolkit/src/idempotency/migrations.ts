/** The idempotency block's table: one row per key. Apply with `migrate(pool, [...idempotencyMigrations])`. */
import { defineMigrations } from '../postgres/index.ts';

export const idempotencyMigrations = defineMigrations('idempotency', [
  {
    name: '0001_idempotency_keys',
    sql: `
-- Idempotency keys: one row per (tenant, method, route template, key).
-- A row is either claimed ("in_flight", with an owner and a lease) or
-- "completed" with the stored response. Rows past expires_at count as absent
-- and are deleted by the reaper.

CREATE TABLE idempotency_keys (
  tenant_id text NOT NULL,
  method text NOT NULL,
  route text NOT NULL,
  key text NOT NULL,
  fingerprint bytea NOT NULL,
  state text NOT NULL CHECK (state IN ('in_flight', 'completed')),
  owner text,
  lease_expires_at timestamptz,
  response_status integer,
  response_headers jsonb,
  response_body bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  takeovers integer NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, method, route, key)
);
-- BRIN: expires_at grows with insertion order, so a block-range index finds
-- expired rows for the reaper at almost no cost per insert (a B-tree here costs
-- every create a second index insert).
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys USING brin (expires_at);
`,
  },
]);
