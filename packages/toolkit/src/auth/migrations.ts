/** The auth block's tables: tenants, operators and hashed API keys. Apply with `migrate(pool, [...authMigrations])`. */
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
  {
    name: '0002_operators_and_key_lifecycle',
    sql: `
-- A key belongs to a tenant or to an operator (nobody's tenant), never both;
-- keys get a name and may expire (rotation overlap).

CREATE TABLE operators (
  id text PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE api_keys
  ALTER COLUMN tenant_id DROP NOT NULL,
  ADD COLUMN operator_id text REFERENCES operators (id),
  ADD COLUMN name text,
  ADD COLUMN expires_at timestamptz,
  ADD CONSTRAINT api_keys_one_owner CHECK ((tenant_id IS NULL) <> (operator_id IS NULL));
CREATE INDEX api_keys_operator_idx ON api_keys (operator_id) WHERE operator_id IS NOT NULL;

-- an operator is not a tenant: the ops scope no longer belongs on tenant keys
UPDATE api_keys SET scopes = array_remove(scopes, 'ops') WHERE 'ops' = ANY (scopes);
`,
  },
]);
