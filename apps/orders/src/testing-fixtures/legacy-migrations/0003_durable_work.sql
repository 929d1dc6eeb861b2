-- Durable work: async operations, the transactional outbox, dead letters and
-- worker heartbeats. Jobs themselves live in graphile-worker's schema.

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

CREATE TABLE outbox (
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE status = 'pending';

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

ALTER TABLE orders ADD COLUMN payment_attempts integer NOT NULL DEFAULT 0;
