/** The auth block's tables: tenants and hashed API keys. Apply with `migrate(pool, [...authMigrations])`. */
import { defineMigrations } from '../postgres/index.ts';

export const authMigrations = defineMigrations('auth', [
  {
    name: '0001_tenants_and_api_keys',
    sql: `
-- Tenants and their API keys (stored as SHA-256 hashes, never in clear).

CREATE TABLE tenants (
  id text PRIMARY KEY,
  name text NOT NULL,
  contact_email text,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id),
  key_hash bytea NOT NULL UNIQUE,
  prefix text NOT NULL,
  scopes text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);
`,
  },
]);
