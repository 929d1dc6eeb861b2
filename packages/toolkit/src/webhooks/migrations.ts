/** The webhooks block's table: the inbox. Apply with `migrate(pool, [...webhooksMigrations])`. */
import { defineMigrations } from '../postgres/index.ts';

export const webhooksMigrations = defineMigrations('webhooks', [
  {
    name: '0001_webhook_inbox',
    sql: `
-- The webhook inbox: every verified delivery, unique per (source, webhook id).
-- The row is the durable queue entry: a dispatcher in the worker role claims
-- "received" rows in batches; nothing is enqueued per delivery.

CREATE TABLE webhook_inbox (
  id text PRIMARY KEY,
  source text NOT NULL,
  webhook_id text NOT NULL,
  event_type text,
  payload jsonb,
  raw_body text NOT NULL,
  headers jsonb NOT NULL,
  status text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processed', 'ignored', 'failed')),
  reason text,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  received_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  UNIQUE (source, webhook_id)
);
CREATE INDEX webhook_inbox_due_idx ON webhook_inbox (next_attempt_at) WHERE status = 'received';
CREATE INDEX webhook_inbox_status_idx ON webhook_inbox (status, id DESC);
`,
  },
  {
    name: '0002_webhook_inbox_raw_bytes',
    sql: `
-- The raw body is kept as the exact bytes that were signed: text cannot hold a
-- NUL byte or invalid UTF-8, which a correctly signed delivery may carry.
ALTER TABLE webhook_inbox ALTER COLUMN raw_body TYPE bytea USING convert_to(raw_body, 'UTF8');
`,
  },
  {
    name: '0003_webhook_inbox_traceparent',
    sql: `
-- The W3C traceparent of the intake request's span: the processing span continues that trace.
ALTER TABLE webhook_inbox ADD COLUMN traceparent text;
`,
  },
]);
