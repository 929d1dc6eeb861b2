-- What the console's request lineage looks up by order (apps/orders/src/lineage/timeline.ts) and
-- the work page's outbox backlog, without scanning the retention window (bench/console.ts at 10x
-- history: 112-175 ms per sequential scan, under 1 ms with these). Each expression is written
-- exactly as the queries write it, or the planner cannot use it.
SET LOCAL lock_timeout = '5s';
CREATE INDEX operations_resource_idx ON operations (resource) WHERE resource IS NOT NULL;
CREATE INDEX outbox_order_id_idx ON outbox ((payload->>'orderId'));
CREATE INDEX outbox_open_idx ON outbox (created_at) WHERE status IN ('pending', 'dead');
CREATE INDEX webhook_inbox_charge_order_idx
  ON webhook_inbox ((split_part(payload->'data'->'charge'->>'reference', ':', 2)));
CREATE INDEX webhook_inbox_charge_id_idx ON webhook_inbox ((payload->'data'->'charge'->>'id'));
