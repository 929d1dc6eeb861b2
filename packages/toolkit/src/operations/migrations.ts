/** The operations block's table. Apply with `migrate(pool, [...operationsMigrations])`. */
import { defineMigrations } from '../postgres/index.ts';

export const operationsMigrations = defineMigrations('operations', [
  {
    name: '0001_operations',
    sql: `
-- Async operations: the resource a 202 points at.

CREATE TABLE operations (
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  kind text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'canceled')),
  resource text,
  result jsonb,
  error jsonb,
  last_error jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX operations_tenant_id_idx ON operations (tenant_id, id DESC);
CREATE INDEX operations_finished_at_idx ON operations (finished_at) WHERE finished_at IS NOT NULL;
`,
  },
  {
    name: '0002_operations_trace',
    sql: `
-- Where an operation came from: the W3C traceparent of the span that created it
-- and the request id of the request that started it (request lineage, traces).
ALTER TABLE operations ADD COLUMN traceparent text, ADD COLUMN request_id text;
`,
  },
  {
    name: '0003_operations_open',
    sql: `
-- Open operations, oldest first (an operator's "what is stuck"), and the operations a
-- request started (request lineage): both without reading the finished history.
CREATE INDEX operations_open_idx ON operations (created_at) WHERE status IN ('pending', 'running');
CREATE INDEX operations_request_id_idx ON operations (request_id) WHERE request_id IS NOT NULL;
`,
  },
]);
