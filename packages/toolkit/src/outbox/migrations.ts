/** The outbox block's table. Apply with `migrate(pool, [...outboxMigrations])`. */
import { defineMigrations } from '../postgres/index.ts';

export const outboxMigrations = defineMigrations('outbox', [
  {
    name: '0001_outbox',
    sql: `
-- The transactional outbox: one row per event, written in the state change's transaction.

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
`,
  },
  {
    name: '0002_outbox_traceparent',
    sql: `
-- The W3C traceparent of the span that wrote the event: its delivery span continues that trace.
ALTER TABLE outbox ADD COLUMN traceparent text;
`,
  },
]);
