/** The jobs block's tables (graphile-worker's own schema comes from migrateJobs). Apply with `migrate(pool, [...jobsMigrations])`. */
import { defineMigrations } from '../postgres/index.ts';

export const jobsMigrations = defineMigrations('jobs', [
  {
    name: '0001_dead_letters_and_heartbeats',
    sql: `
-- Dead letters of durable jobs, and worker heartbeats (jobs themselves live in graphile-worker's schema).

CREATE TABLE dead_letters (
  id text PRIMARY KEY,
  tenant_id text, -- null: a system job (visible with the ops scope)
  task text NOT NULL,
  payload jsonb NOT NULL,
  attempts integer NOT NULL,
  error_category text NOT NULL,
  error_message text NOT NULL,
  status text NOT NULL DEFAULT 'dead' CHECK (status IN ('dead', 'replayed', 'discarded')),
  discard_reason text,
  first_failed_at timestamptz NOT NULL,
  last_failed_at timestamptz NOT NULL,
  replayed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letters_tenant_idx ON dead_letters (tenant_id, id DESC);

CREATE TABLE worker_heartbeats (
  worker_id text PRIMARY KEY,
  process_id text NOT NULL,
  last_seen_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
]);
