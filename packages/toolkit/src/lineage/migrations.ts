/** The lineage block's tables. Apply with `migrate(pool, [...lineageMigrations])`. */
import { defineMigrations } from '../postgres/index.ts';

export const lineageMigrations = defineMigrations('lineage', [
  {
    name: '0001_lineage',
    sql: `
-- Request lineage: what each inbound request and each outbound attempt did,
-- written in batches by the recorder. Diagnostics, not a record of truth: rows
-- may be dropped under overload, and a reaper deletes them after the retention.
-- No bodies and no secrets: ids, routes, statuses, durations and keys only.

CREATE TABLE lineage_requests (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL,
  request_id text NOT NULL,
  tenant_id text,
  method text NOT NULL,
  -- the route template, OpenAPI form: /items/{id}
  route text NOT NULL,
  status integer NOT NULL,
  duration_ms real NOT NULL,
  idempotency_key text,
  idempotency_outcome text CHECK (idempotency_outcome IN ('executed', 'replayed', 'conflict')),
  -- the resources the request touched, named by the route (addLineageRefs)
  refs text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX lineage_requests_request_id_idx ON lineage_requests (request_id);
CREATE INDEX lineage_requests_idempotency_key_idx ON lineage_requests (idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX lineage_requests_refs_idx ON lineage_requests USING gin (refs);
CREATE INDEX lineage_requests_at_idx ON lineage_requests (at);

CREATE TABLE lineage_attempts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL,
  request_id text,
  dependency text NOT NULL,
  method text NOT NULL,
  route text NOT NULL,
  status integer,
  duration_ms real NOT NULL,
  attempt integer NOT NULL,
  kind text NOT NULL,
  outcome text NOT NULL,
  rejected_by text,
  error text,
  idempotency_key text
);
CREATE INDEX lineage_attempts_request_id_idx ON lineage_attempts (request_id) WHERE request_id IS NOT NULL;
-- text_pattern_ops: a key-prefix search (LIKE 'prefix%') uses the index whatever the collation
CREATE INDEX lineage_attempts_idempotency_key_idx ON lineage_attempts (idempotency_key text_pattern_ops)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX lineage_attempts_at_idx ON lineage_attempts (at);
`,
  },
]);
